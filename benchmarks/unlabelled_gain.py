"""Does text without labels help? Nested cross-validation with and without it.

    python benchmarks/unlabelled_gain.py [--seeds 0 1 2] [--folds 5] [--quick] [--json PATH]

For each seed, runs `tagger evaluate --cv` on the reference labels twice with the same
fixed settings (word unigrams, C=30, the schema's keywords with a 30-word window, no
search), once with the vocabulary and IDF fitted on the labelled articles only
(--labelled-idf) and once on all 4,063 articles of the corpus (--unlabelled-idf), and
prints micro- and macro-F1 with the paired differences.
"""

from __future__ import annotations

from paired_cv import compare

FIXED = ["--no-search", "--ngram-max", "1", "--C", "30"]


def main():
    compare(__file__, __doc__.splitlines()[0], "unlabelled text",
            ("labelled-only IDF", [*FIXED, "--labelled-idf"]),
            ("all-documents IDF", [*FIXED, "--unlabelled-idf"]))


if __name__ == "__main__":
    main()
