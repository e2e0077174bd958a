"""What a model knows of its training documents without keeping them: a hash of each one's
id and of its text, and the range of their dates.

The hashes let `tagger evaluate` tell which of the documents it scores the model was
trained on (a score on those says nothing of new articles); the text itself is never
stored, so a model can be shared without its publishers' text.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Sequence

import numpy as np

from ..io.records import Document


def _h64(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:8], "little")


def document_hashes(docs: Sequence[Document]) -> np.ndarray:
    """Per document, (hash of its id, hash of its text with whitespace runs as one space):
    the first 8 bytes of SHA-256 each, as unsigned 64-bit integers (n_docs x 2)."""
    out = np.zeros((len(docs), 2), dtype=np.uint64)
    for i, d in enumerate(docs):
        out[i] = (_h64(d.id), _h64(" ".join(d.content.split())))
    return out


def seen_in_training(training: np.ndarray | None, docs: Sequence[Document]) -> np.ndarray | None:
    """Per document, was it one of the training documents: the same id or the same text?
    None when the model records no training documents."""
    if training is None:
        return None
    mine = document_hashes(docs)
    return np.isin(mine[:, 0], training[:, 0]) | np.isin(mine[:, 1], training[:, 1])


def date_range(docs: Sequence[Document]) -> dict:
    """First and last date of the documents (ISO dates sort as strings), how many have
    one, and how many fall in each year."""
    dates = sorted(d.date for d in docs if d.date)
    return {"first": dates[0] if dates else "", "last": dates[-1] if dates else "",
            "dated": len(dates), "undated": len(docs) - len(dates),
            "by_year": dict(sorted(Counter(d[:4] for d in dates).items()))}


MAX_SOURCES = 30  # outlets named in a model's metadata; the rest are counted together


def source_counts(docs: Sequence[Document]) -> dict:
    """Documents per outlet, most first (the MAX_SOURCES largest, then "(other)" and
    "(unknown)" for the rest and those that name none)."""
    counts = Counter(d.outlet or "(unknown)" for d in docs)
    top = dict(counts.most_common(MAX_SOURCES))
    rest = sum(counts.values()) - sum(top.values())
    return {**top, **({"(other)": rest} if rest else {})}


def model_identity(model) -> dict:
    """What tells a model's scores from another's in a score file: the fingerprint of its
    labelled training data and its settings."""
    from dataclasses import asdict

    return {"training_data": model.metadata.get("training_data", ""),
            "settings": asdict(model.settings)}
