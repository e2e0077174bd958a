"""The compiled kernel of tagger.text (tagger/text/csrc/*.c); the rest is in pyproject.toml.

Optional: on a machine without a C compiler the package installs without it, and
tagger.text runs its NumPy passes instead (the same results, more slowly). Plain C with the
CPython API, so building it needs no package beyond setuptools.
"""

from pathlib import Path

from setuptools import Extension, setup

SOURCES = sorted(str(p) for p in Path("tagger/text/csrc").glob("*.c"))

setup(ext_modules=[Extension("tagger.text.ckernel", SOURCES, depends=["tagger/text/csrc/kernel.h"],
                             optional=True,
                             # no fused multiply-add: sums as NumPy and scipy do them
                             extra_compile_args=["-O3", "-ffp-contract=off"])])
