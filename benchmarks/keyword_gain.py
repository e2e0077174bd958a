"""Do the tag schema's keywords help? Nested cross-validation with and without them.

    python benchmarks/keyword_gain.py [--seeds 0 1 2] [--folds 5] [--quick] [--json PATH]

For each seed, runs `tagger evaluate --cv` on the reference labels twice, with the default
settings search inside every fold: once as `tagger train` runs by default (the keyword
window searched over 0, 15 and 30 words, so a fold may still choose no keywords) and once
with `--keyword-window 0` (no keyword features at all). Prints micro- and macro-F1 of both
with the paired differences. Takes about three minutes a seed on two cores.
"""

from __future__ import annotations

from paired_cv import compare


def main():
    compare(__file__, __doc__.splitlines()[0], "keywords", ("without keywords", ["--keyword-window", "0"]),
            ("with keywords", []))


if __name__ == "__main__":
    main()
