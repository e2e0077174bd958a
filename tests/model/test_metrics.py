import numpy as np
import pytest

from tagger.model.bootstrap import bootstrap_intervals
from tagger.evaluation.calibration import expected_calibration_error
from tagger.model.metrics import f1_from_counts, score


def noisy_labels(n, seed):
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, 3)) < 0.3).astype(int)
    flip = rng.random((n, 3)) < 0.15
    return Y, np.where(flip, 1 - Y, Y)


def test_interval_contains_the_estimate_and_narrows_with_more_documents():
    widths = []
    for n in (60, 2000):
        Y, P = noisy_labels(n, seed=n)
        ci = bootstrap_intervals(Y, P, ["a", "b", "c"], n_boot=500)
        point = score(Y, P, ["a", "b", "c"])
        for key, est in (("micro_f1", point["micro"]["f1"]), ("macro_f1", point["macro"]["f1"])):
            lo, hi = ci[key]
            assert lo <= est <= hi
        widths.append(ci["micro_f1"][1] - ci["micro_f1"][0])
    assert widths[1] < widths[0] / 3


def test_intervals_are_reproducible_with_a_seed():
    Y, P = noisy_labels(100, seed=1)
    assert bootstrap_intervals(Y, P, list("abc"), seed=7) == bootstrap_intervals(Y, P, list("abc"), seed=7)


def test_f1_from_counts_matches_the_definition():
    assert f1_from_counts(8, 2, 2).item() == pytest.approx(0.8)
    assert f1_from_counts(0, 0, 0).item() == 0.0


def test_expected_calibration_error():
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    assert expected_calibration_error(y, np.full(10, 0.4)) == pytest.approx(0.0)
    assert expected_calibration_error(y, np.full(10, 0.9)) == pytest.approx(0.5)
