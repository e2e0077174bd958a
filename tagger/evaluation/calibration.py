"""How well calibrated scores are: reliability bins and expected calibration error."""

from __future__ import annotations

import numpy as np


def calibration_bins(y: np.ndarray, p: np.ndarray, n_bins: int = 10):
    """Equal-width bins of predicted probability: (mean predicted, observed rate, count)."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(which, weights=p, minlength=n_bins) / count
        rate = np.bincount(which, weights=y, minlength=n_bins) / count
    return mean_p, rate, count


def expected_calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    """Mean gap between predicted probability and observed frequency, weighted by bin size."""
    mean_p, rate, count = calibration_bins(np.asarray(y, float), np.asarray(p, float), n_bins)
    used = count > 0
    return float(np.sum(count[used] * np.abs(mean_p[used] - rate[used])) / max(count.sum(), 1))
