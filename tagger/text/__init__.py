"""Text to features: characters and word tokens as hashes, a vectorised key index, exact n-gram
counts, keyword mentions and sentence cues, the one sentence splitter, and the featurizer seam
(the fast path and the scikit-learn path behind one interface), and the compiled kernel of
the fast path (C, with NumPy passes where it is not built); text made safe for a
terminal; plain text tables (tabulate)."""
