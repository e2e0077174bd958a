"""Text to features: characters and word tokens as hashes, a vectorised key index, exact n-gram
counts, keyword mentions and sentence cues, the one sentence splitter, and the featurizer seam
(the fast NumPy path and the scikit-learn path behind one interface); text made safe for a
terminal; plain text tables (tabulate)."""
