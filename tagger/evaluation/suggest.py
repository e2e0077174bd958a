"""Which unlabelled articles to label next.

- ``uncertain``: per tag, the articles whose calibrated probability lies nearest that tag's
  threshold (in logits, where a step means the same at 0.02 as at 0.5); tags take turns,
  from one drawn with the seed, so each gets an equal share of the picks and rare tags are
  not crowded out.
- ``mixed`` (the default): the same, with every :data:`RANDOM_EVERY`-th pick drawn at
  random, so that labels chosen this way still tell honestly how the model does.
- ``random``: a seeded random sample.
- ``cold``: no model at all: per tag, the articles with the most mentions of the schema's
  keywords in context, tags taking turns; then the articles least like those picked.

Given ``tags``, the turns go to those tags only (where the model is weakest, say); the
random fifth of ``mixed`` stays random, so the batch still tells how the model does.

No two picks are near-duplicates: an article whose TF-IDF cosine with a pick already made
is above :data:`NEAR_DUPLICATE` is passed over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

from ..errors import ModelError
from ..registry import Registry

if TYPE_CHECKING:
    from ..io.records import Document
    from ..labels.tagschema import TagSchema

# numpy and the model are imported where they are used: the CLI imports this module at
# start-up for its list of strategies, and `tagger --help` should not wait for numpy.

# The strategies, by name: each a function (batch, n, tags) -> picks. ``model``: whether it
# needs a model ("needed"), ranks without one but shows its scores ("optional"), or ignores
# it ("unused"); ``focus``: whether its picks can be spent on chosen tags.
STRATEGIES: Registry = Registry("strategy", error=ModelError)
NEAR_DUPLICATE = 0.5   # TF-IDF cosine (word unigrams and bigrams, IDF from the pool)
RANDOM_EVERY = 5       # mixed: picks 5, 10, 15, ... are random (a fifth)
UNCERTAIN_LOGIT = 1.0  # a tag within this many logits of its threshold is "uncertain"



@dataclass(frozen=True)
class Pick:
    """One article to label, and why: ``how`` it was picked, and the tags behind it with
    their scores (probabilities, or keyword mentions for ``cold``)."""

    id: str
    rank: int
    how: str
    tags: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"rank": self.rank, "id": self.id, "how": self.how, "tags": dict(self.tags)}


def pool_vectors(docs: Sequence[Document]):
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from ..text.tokens import TOKEN_PATTERN

    vec = TfidfVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), min_df=1,
                          sublinear_tf=True, dtype=np.float64)
    return vec.fit_transform([d.content for d in docs]).tocsr()


class _Picker:
    """Picks in order, refusing near-duplicates of what was picked before."""

    def __init__(self, X, bound: float):
        self.X, self.bound = X, bound
        self.chosen: list[int] = []
        self.taken: set[int] = set()

    def ok(self, i: int) -> bool:
        if i in self.taken:
            return False
        if self.chosen:
            sims = self.X[self.chosen] @ self.X[i].T
            if sims.nnz and sims.max() > self.bound:
                self.taken.add(i)  # never again
                return False
        return True

    def take(self, i: int) -> None:
        self.chosen.append(i)
        self.taken.add(i)


def suggest(pool: Sequence[Document], *, model=None, n: int = 50, strategy: str = "mixed",
            schema: TagSchema | None = None, seed: int = 0,
            near_duplicate: float = NEAR_DUPLICATE, vectors=None,
            tags: Sequence[str] | None = None) -> list[Pick]:
    """Up to ``n`` articles of ``pool`` to label next, best first (see the module's text).

    ``vectors``: the pool's L2-normalised TF-IDF rows, when the caller keeps them (a
    labelling loop asks again and again of one pool); by default made here. ``tags``: spend
    the picks on these tags only (all of them by default)."""
    entry = _check_request(strategy, model, schema, tags)
    pool = list(pool)
    if not pool or n < 1:
        return []
    X = pool_vectors(pool) if vectors is None else vectors
    picker = _Picker(X, near_duplicate)
    if entry.info["model"] == "unused":
        return entry.value(_Batch(pool, picker, None, seed, draw=False, X=X, schema=schema),
                           n, tags)
    return entry.value(_Batch(pool, picker, model, seed, X=X, schema=schema), n, tags)


def _check_request(strategy: str, model, schema: TagSchema | None,
                   tags: Sequence[str] | None):
    """The strategy's entry; refuses one unknown, without what it needs, or focused on
    unknown tags."""
    entry = STRATEGIES.entry(strategy)
    if entry.info["model"] == "needed" and model is None:
        raise ModelError(f"the {strategy!r} strategy ranks by a model's scores, and no model "
                         "was given")
    if tags and not entry.info["focus"]:
        focused = STRATEGIES.names(focus=True)
        raise ModelError(f"{strategy} picks are drawn without regard to tags: focusing on "
                         f"tags needs the {', '.join(focused[:-1])} or {focused[-1]} strategy")
    if tags:
        known = (list(model.tags) if entry.info["model"] != "unused"
                 else (schema.ids if schema else []))
        unknown = [t for t in tags if t not in known]
        if unknown:
            raise ModelError(f"unknown tag {unknown[0]!r} (known: {', '.join(known)})")
    return entry


class _Batch:
    """One batch being picked: the pool, its picker, the model's scores (when there is a
    model), the seeded draws, and the picks so far (``out``)."""

    def __init__(self, pool: list[Document], picker: _Picker, model, seed: int, *,
                 draw: bool = True, X=None, schema: TagSchema | None = None):
        import numpy as np

        self.pool, self.picker, self.model = pool, picker, model
        self.X, self.schema = X, schema  # the pool's vectors, the tag schema (for cold)
        self.rng = np.random.default_rng(seed)
        # drawn first, whatever the strategy (but cold): the tag turns' draw comes after it
        self.random_order = iter(self.rng.permutation(len(pool)).tolist() if draw else ())
        self.proba = (model.predict_proba([d.content for d in pool]) if model is not None
                      else None)
        self.out: list[Pick] = []

    def scores(self, i: int) -> dict:
        """The article's tags near their thresholds, with their probabilities."""
        from ..model.drift import threshold_gap

        if self.proba is None:
            return {}
        gap = threshold_gap(self.proba[i], self.model.thresholds)
        return {t: round(float(self.proba[i, k]), 6) for k, t in enumerate(self.model.tags)
                if gap[k] <= UNCERTAIN_LOGIT}

    def add(self, i: int, how: str, why: dict) -> None:
        self.picker.take(i)
        self.out.append(Pick(self.pool[i].id, len(self.out) + 1, how, why))

    def random_pick(self) -> bool:
        """Add the next article of the seeded order that is not a near-duplicate; False when
        none is left."""
        for i in self.random_order:
            if self.picker.ok(i):
                self.add(i, "random", self.scores(i))
                return True
        return False


@STRATEGIES.register("mixed", help="as uncertain, with every fifth pick random",
                     model="needed", focus=True)
def _mixed(batch: _Batch, n: int, tags: Sequence[str] | None) -> list[Pick]:
    return _by_turns(batch, n, tags, mixed=True)


@STRATEGIES.register("uncertain", help="nearest a tag's threshold, tags taking turns",
                     model="needed", focus=True)
def _uncertain(batch: _Batch, n: int, tags: Sequence[str] | None) -> list[Pick]:
    return _by_turns(batch, n, tags, mixed=False)


@STRATEGIES.register("random", model="optional", focus=False)
def _random(batch: _Batch, n: int, tags: Sequence[str] | None) -> list[Pick]:
    while len(batch.out) < n and batch.random_pick():
        pass
    return batch.out


def _by_turns(batch: _Batch, n: int, tags: Sequence[str] | None, *, mixed: bool) -> list[Pick]:
    """``uncertain`` (and ``mixed``, every :data:`RANDOM_EVERY`-th pick random): tags take
    turns, each giving its article nearest its threshold not picked yet."""
    import numpy as np

    from ..model.drift import threshold_gap

    model, proba = batch.model, batch.proba
    gap = threshold_gap(proba, model.thresholds)
    # The first turn goes to a tag drawn with the seed: with fewer picks than tags, a fixed
    # order would leave the same tags out of every batch.
    focus = [k for k, t in enumerate(model.tags) if not tags or t in tags]
    shift = int(batch.rng.integers(len(focus)))
    turns = focus[shift:] + focus[:shift]
    per_tag = [iter(np.argsort(gap[:, k], kind="stable").tolist()) for k in turns]
    turn = 0
    while len(batch.out) < n:
        if mixed and (len(batch.out) + 1) % RANDOM_EVERY == 0 and batch.random_pick():
            continue
        found = None
        for _ in range(len(per_tag)):  # this tag's turn; a tag with none left passes it on
            k = turn % len(per_tag)
            turn += 1
            found = next((i for i in per_tag[k] if batch.picker.ok(i)), None)
            if found is not None:
                break
        if found is None:
            break
        why = batch.scores(found) or {model.tags[turns[k]]: round(float(proba[found, turns[k]]), 6)}
        batch.add(found, "uncertain", why)
    return batch.out


@STRATEGIES.register("cold", help="no model, the schema's keywords, then diversity",
                     model="unused", focus=True)
def _cold(batch: _Batch, n: int, tags: Sequence[str] | None) -> list[Pick]:
    """Keyword mentions per tag, tags taking turns; then the least similar to the picks."""
    import numpy as np

    from ..config import Settings
    from ..text.keywords import lexicon_for
    from ..model.features import keyword_lists
    from ..text.featurizer import Featurizer

    pool, schema, picker, X = batch.pool, batch.schema, batch.picker, batch.X
    if schema is None or not any(t.keywords for t in schema.tags):
        raise ModelError("the 'cold' strategy needs a tag schema with keywords")
    keywords = keyword_lists(schema, schema.ids)
    lexicon = lexicon_for(keywords, Settings().keyword_window)
    text = Featurizer(lexicon=lexicon)
    hits = np.asarray(text.keyword_counts(text.tokenize([d.content for d in pool])), dtype=np.float64)
    names = [k["tag"] for k in keywords]
    if tags and not set(tags) & set(names):
        raise ModelError(f"the 'cold' strategy needs keywords for {', '.join(tags)} in the "
                         "tag schema")
    per_tag = [iter([i for i in np.argsort(-hits[:, k], kind="stable").tolist() if hits[i, k] > 0])
               for k in range(hits.shape[1]) if not tags or names[k] in tags]
    out: list[Pick] = []
    turn, exhausted = 0, set()
    while len(out) < n and len(exhausted) < len(per_tag):
        k = turn % len(per_tag)
        turn += 1
        found = next((i for i in per_tag[k] if picker.ok(i)), None)
        if found is None:
            exhausted.add(k)
            continue
        picker.take(found)
        out.append(Pick(pool[found].id, len(out) + 1, "keywords",
                        {t: int(hits[found, j]) for j, t in enumerate(names) if hits[found, j] > 0}))
    while len(out) < n:  # diversity: the article least like any pick so far
        free = [i for i in range(len(pool)) if i not in picker.taken]
        if not free:
            break
        if picker.chosen:
            sims = (X[free] @ X[picker.chosen].T).max(axis=1).toarray().ravel()
            order = np.argsort(sims, kind="stable")
        else:
            order = np.arange(len(free))
        found = next((free[j] for j in order.tolist() if picker.ok(free[j])), None)
        if found is None:
            break
        picker.take(found)
        out.append(Pick(pool[found].id, len(out) + 1, "diverse", {}))
    return out
