"""How much a backend adds to an install: its distributions and their dependencies, minus
what the rest of the project already needs, measured from installed files' sizes, plus the
project's own files that only that backend uses (the default analyser's e5 weights, its
compiled engine and its head)."""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

PROJECT = "candor"
# Distributions this project adds for sentiment; the rest of its dependencies are the base.
SENTIMENT_DISTS = {"pymorphy3", "pymorphy3-dicts-ru", "dawg2-python"}
# Stands, in a list of distributions, for the default analyser's files inside the project.
DEFAULT_ANALYSER_FILES = "candor:default-analyser"


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _always_installed(req: str) -> str | None:
    """The distribution ``req`` names, if it applies here without an extra; else None."""
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:  # pragma: no cover - packaging comes with pytest and pip's tooling
        name, _, marker = req.partition(";")
        if "extra" in marker:
            return None
        m = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", name.strip())
        return _canon(m.group()) if m else None
    try:
        parsed = Requirement(req)
    except InvalidRequirement:
        return None
    # "setuptools; python_version >= '3.12'" counts only where it is installed for it.
    if parsed.marker is not None and not parsed.marker.evaluate({"extra": ""}):
        return None
    return _canon(parsed.name)


def _requires(name: str) -> list[str]:
    try:
        reqs = metadata.requires(name) or []
    except metadata.PackageNotFoundError:
        return []
    return [d for d in map(_always_installed, reqs) if d]


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


def default_analyser_files() -> dict[str, int]:
    """Bytes of the project's own files that only the default analyser needs, as installed
    (the package directory, or the source tree of an editable install)."""
    import surveys.sentiment

    package = Path(surveys.sentiment.__file__).parent
    groups = {
        "candor e5 weights": sorted(package.glob("model/e5-*.bin")),
        "candor e5 engine": [Path(p) for p in sorted(glob.glob(str(package / "_e5*.so")))],
        "candor head": [package / "model/head.json", package / "model/ngram.bin"],
        "candor VADER lexicon": sorted(package.glob("vader/*")),
    }
    return {
        label: sum(p.stat().st_size for p in paths if p.is_file())
        for label, paths in groups.items()
    }


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
    """Bytes of ``roots`` and their dependencies that the rest of the project lacks, and of
    the default analyser's own files if ``roots`` holds DEFAULT_ANALYSER_FILES."""
    base_roots = [r for r in _requires(PROJECT) if r not in SENTIMENT_DISTS]
    base = closure(base_roots)
    dists = [r for r in roots if r != DEFAULT_ANALYSER_FILES]
    sizes = {name: dist_bytes(name) for name in sorted(closure(dists) - base)}
    if DEFAULT_ANALYSER_FILES in roots:
        sizes.update(default_analyser_files())
    return Size(sizes)
