"""Text to features: word tokens, n-gram counts and keyword mentions, on NumPy arrays."""
