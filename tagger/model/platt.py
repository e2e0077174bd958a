"""Platt scaling: calibrated probabilities from out-of-fold logits."""

from __future__ import annotations

import numpy as np


def fit_calibration(Y: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """Platt scaling per tag: (a, b) with P(tag) = sigmoid(a * logit + b), fitted on
    out-of-fold logits. A tag with too few positives, or a fit that would not be
    increasing, keeps the identity (1, 0)."""
    from sklearn.linear_model import LogisticRegression

    params = np.tile([1.0, 0.0], (Y.shape[1], 1))
    for k in range(Y.shape[1]):
        if Y[:, k].sum() < 3 or (1 - Y[:, k]).sum() < 3:
            continue
        lr = LogisticRegression(C=1.0).fit(logits[:, [k]], Y[:, k])
        a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        if a > 0:
            params[k] = (a, b)
    return params


def calibrate(logits: np.ndarray, params: np.ndarray) -> np.ndarray:
    z = logits * params[:, 0] + params[:, 1]
    return 1.0 / (1.0 + np.exp(-z))
