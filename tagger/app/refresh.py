"""The `suggest` queue of `tagger label`, kept fresh: as labels arrive, a model is retrained
in the background (the given model's settings, no search: seconds for a few hundred
labels) and the unlabelled articles are ranked again by :func:`tagger.evaluation.suggest`.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Callable, Sequence

from ..errors import TaggerError
from ..evaluation.suggest import pool_vectors, suggest
from ..io.records import Document
from ..labels.database import LabelDB
from ..labels.resolve import resolve
from ..labels.tagschema import TagSchema

RANKED = 200  # articles ranked at a time; the rest follow in the data's order


class Refresher:
    """Holds the suggest queue's order and the model behind it; ``changed()`` after each
    saved decision retrains once ``every`` new labels have arrived."""

    def __init__(self, db: LabelDB, docs: Sequence[Document], schema: TagSchema, model, *,
                 every: int = 10, seed: int = 0, on_error: Callable[[str], None] | None = None,
                 tags: Sequence[str] = ()):
        self.db, self.docs, self.schema, self.model = db, list(docs), schema, model
        self.every, self.seed, self.on_error, self.tags = every, seed, on_error, tuple(tags)
        self.vectors = pool_vectors(self.docs)
        self.position = {d.id: i for i, d in enumerate(self.docs)}
        self.lock = threading.Lock()
        self.busy = threading.Lock()
        self.labels_at_fit = 0
        self.retrained = 0
        self.status = "ranked by the model given"
        self.order = self.rank(model, set(resolve(db).labels))

    def rank(self, model, labelled: set) -> list[str]:
        pool = [d for d in self.docs if d.id not in labelled]
        rows = [self.position[d.id] for d in pool]
        picks = suggest(pool, model=model, n=min(RANKED, len(pool)), strategy="mixed",
                        schema=self.schema, seed=self.seed, vectors=self.vectors[rows],
                        tags=self.tags)
        first = [p.id for p in picks]
        chosen = set(first)
        return first + [d.id for d in pool if d.id not in chosen]

    def changed(self) -> None:
        """A decision was saved: retrain in the background if enough labels are new."""
        n = len(resolve(self.db).labels)
        if n - self.labels_at_fit < self.every or not self.busy.acquire(blocking=False):
            return
        threading.Thread(target=self._retrain, name="tagger-retrain", daemon=True).start()

    def _retrain(self) -> None:
        from ..model.train import train

        try:
            resolved = resolve(self.db)
            docs = [replace(d, tags=resolved.labels.get(d.id)) for d in self.docs]
            try:
                # one process: a background retrain leaves the other cores to the server
                model = train(docs, schema=self.schema, settings=self.model.settings, search=None,
                              n_jobs=1)
            except TaggerError as exc:  # too few labels of some tag, say: keep the old model
                self.status = f"not retrained yet ({exc})"
                return
            order = self.rank(model, set(resolved.labels))
            with self.lock:
                self.model, self.order = model, order
                self.labels_at_fit = len(resolved.labels)
                self.retrained += 1
                self.status = f"retrained on {len(resolved.labels)} labels"
        except Exception as exc:  # a background failure must not pass silently
            self.status = f"retraining failed ({exc})"
            if self.on_error:
                self.on_error(self.status)
        finally:
            self.busy.release()
