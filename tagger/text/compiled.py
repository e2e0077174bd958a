"""The compiled kernel (tagger/text/csrc) where it is built, else None: the one switch every
caller reads at call time (so a test can turn it off in one place).

pip builds it wherever a C compiler is (setup.py, an optional extension); without it every
caller runs the NumPy passes beside its call, which compute the same arrays, bit for bit
(tests compare the two on awkward Unicode, the fixtures and generated input).
"""

try:
    from . import ckernel as kernel
except ImportError:  # no C compiler where the package was installed
    kernel = None
