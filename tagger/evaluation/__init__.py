"""Measuring a model honestly: scores of a saved model (training documents left out), two models
compared on the same documents (paired bootstrap), held-out scores kept in a model, scores by
period or source, calibration error, nested cross-validation; what to label next (suggest) and
which labels are probably wrong (audit)."""
