"""Measuring a model honestly: scores, bootstrap intervals, calibration, cross-validation."""
