"""The model: inference (core), training, thresholds, calibration, and model files."""
