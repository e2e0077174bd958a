"""The tagging model: TF-IDF features, one-vs-rest logistic regression, a threshold per tag."""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Iterable, Sequence

import numpy as np

from .documents import Document
from .errors import ModelError
from .labels import TagSchema, binarize, labelled, tag_set

TOKEN_PATTERN = r"(?u)\b\w\w+\b"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """How a model is built. Every field is saved in the model's metadata."""

    ngram_max: int = 2          # word n-grams from 1 to this
    min_df: int = 2             # ignore terms seen in fewer training documents
    max_df: float = 1.0
    sublinear_tf: bool = True
    C: float = 10.0             # inverse regularisation strength of the logistic regression
    class_weight: str | None = "balanced"
    folds: int = 5              # cross-validation folds for thresholds and scores
    seed: int = 0

    def vectorizer_params(self) -> dict:
        return dict(analyzer="word", lowercase=True, token_pattern=TOKEN_PATTERN,
                    ngram_range=(1, self.ngram_max), min_df=self.min_df, max_df=self.max_df,
                    sublinear_tf=self.sublinear_tf, norm="l2", smooth_idf=True, use_idf=True,
                    dtype=np.float64)


@dataclass(frozen=True)
class Prediction:
    """Tags assigned to one document, with a probability per tag."""

    id: str
    tags: list[str]
    scores: dict[str, float]

    def to_dict(self) -> dict:
        return {"id": self.id, "tags": list(self.tags), "scores": dict(self.scores)}


@dataclass
class TaggerModel:
    """A trained model: everything needed to tag, as plain arrays and settings.

    Tagging needs neither scikit-learn nor a pickled object: the vocabulary, IDF weights
    and coefficients are enough. ``vectorizer`` rebuilds the equivalent scikit-learn
    TfidfVectorizer on demand, for inputs the fast counter does not cover.
    """

    tags: list[str]
    vocabulary: dict[str, int]  # term -> feature index
    idf: np.ndarray           # (n_features,)
    vectorizer_params: dict   # TfidfVectorizer keyword arguments
    coef: np.ndarray          # (n_tags, n_features)
    intercept: np.ndarray     # (n_tags,)
    thresholds: np.ndarray    # (n_tags,)
    settings: Settings
    metadata: dict = field(default_factory=dict)

    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # documents counted at a time: larger slices are slower (they fall out of CPU caches)
    SLICE = 256

    @property
    def n_features(self) -> int:
        return self.coef.shape[1]

    @property
    def vectorizer(self):
        """The equivalent fitted scikit-learn TfidfVectorizer (built on first use)."""
        if "vectorizer" not in self._cache:
            from sklearn.feature_extraction.text import TfidfVectorizer

            params = dict(self.vectorizer_params)
            params["ngram_range"] = tuple(params["ngram_range"])
            vec = TfidfVectorizer(**params, dtype=np.float64)
            vec.vocabulary_ = self.vocabulary
            vec.idf_ = self.idf
            self._cache["vectorizer"] = vec
        return self._cache["vectorizer"]

    def _counter(self):
        """The fast exact n-gram counter for this vocabulary, or None if not applicable."""
        if "counter" not in self._cache:
            from .features import NgramCounter

            p = self.vectorizer_params
            counter = None
            if NgramCounter.supports(p) and p.get("norm") in ("l2", None):
                try:
                    counter = NgramCounter(self.vocabulary, tuple(p["ngram_range"]))
                except ValueError:  # a vocabulary it cannot key exactly: use scikit-learn
                    counter = None
            self._cache["counter"] = counter
        return self._cache["counter"]

    def _tfidf_entries(self, texts: Sequence[str]):
        """TF-IDF values as (rows, cols, values), weighted and normalised as scikit-learn does."""
        p = self.vectorizer_params
        rows, cols, counts = self._counter().entries(texts)
        values = counts.astype(np.float64)
        if p.get("sublinear_tf"):
            np.log(values, out=values)
            values += 1.0
        if p.get("use_idf", True):
            values *= self.idf[cols]
        if p.get("norm") == "l2":
            norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(texts)))
            norms[norms == 0.0] = 1.0
            values /= norms[rows]
        return rows, cols, values

    def transform(self, texts: Sequence[str]):
        """TF-IDF features (a CSR matrix), equal to the scikit-learn vectorizer's."""
        import scipy.sparse as sp

        texts = list(texts)
        if self._counter() is None:
            return self.vectorizer.transform(texts)
        rows, cols, values = self._tfidf_entries(texts)
        X = sp.csr_matrix((values, (rows, cols)), shape=(len(texts), self.n_features))
        X.sort_indices()
        return X

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of each tag (n_docs x n_tags)."""
        import scipy.sparse as sp

        texts = list(texts)
        out = np.empty((len(texts), len(self.tags)))
        for i in range(0, len(texts), self.SLICE):
            part = texts[i:i + self.SLICE]
            if self._counter() is None:
                X = self.vectorizer.transform(part)
            else:
                rows, cols, values = self._tfidf_entries(part)
                # entries come as a few runs each ordered by row, which a stable sort merges
                # in linear time; columns need no order for a matrix product
                order = np.argsort(rows, kind="stable")
                indptr = np.zeros(len(part) + 1, dtype=np.int64)
                np.cumsum(np.bincount(rows, minlength=len(part)), out=indptr[1:])
                X = sp.csr_matrix((values[order], cols[order], indptr),
                                  shape=(len(part), self.n_features))
            z = np.asarray(X @ self.coef.T) + self.intercept
            out[i:i + len(part)] = 1.0 / (1.0 + np.exp(-z))  # the logistic function
        return out

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """0/1 tag decisions from probabilities, by each tag's own threshold."""
        return (proba >= self.thresholds).astype(np.int8)

    def predict(self, docs: Sequence[Document]) -> list[Prediction]:
        """Tags and scores for each document, in order."""
        docs = list(docs)
        if not docs:
            return []
        proba = self.predict_proba([d.content for d in docs])
        return self.predictions_from_proba([d.id for d in docs], proba)

    def predictions_from_proba(self, ids: Sequence[str], proba: np.ndarray) -> list[Prediction]:
        chosen = proba >= self.thresholds
        out = []
        for doc_id, row, mask in zip(ids, proba, chosen):
            out.append(Prediction(
                id=doc_id,
                tags=[t for t, m in zip(self.tags, mask) if m],
                scores={t: round(float(p), 6) for t, p in zip(self.tags, row)},
            ))
        return out


def make_pipeline(settings: Settings):
    """The scikit-learn pipeline a model is trained as."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline

    return Pipeline([
        ("tfidf", TfidfVectorizer(**settings.vectorizer_params())),
        ("clf", OneVsRestClassifier(LogisticRegression(
            C=settings.C, class_weight=settings.class_weight, solver="liblinear",
            max_iter=1000, random_state=settings.seed))),
    ])


def fingerprint(docs: Iterable[Document], tags: Sequence[str]) -> str:
    """SHA-256 over the labelled documents' ids, text and tags, in id order."""
    h = hashlib.sha256()
    h.update(("\x1f".join(tags) + "\n").encode())
    for d in sorted(docs, key=lambda d: d.id):
        h.update(d.id.encode() + b"\x00" + d.content.encode() + b"\x00"
                 + ";".join(sorted(d.tags or ())).encode() + b"\n")
    return "sha256:" + h.hexdigest()


def check_trainable(Y: np.ndarray, tags: Sequence[str], n_docs: int) -> None:
    """Each tag needs positive and negative examples; say what to label if not."""
    for k, tag in enumerate(tags):
        pos = int(Y[:, k].sum())
        if pos == 0:
            raise ModelError(f"tag {tag!r} has no positive examples among the {n_docs} labelled "
                             f"documents: label some documents that carry {tag!r}, or drop it "
                             "from the schema")
        if pos == n_docs:
            raise ModelError(f"tag {tag!r} has no negative examples: all {n_docs} labelled "
                             f"documents carry it; label some documents without {tag!r}")


def fold_splits(Y: np.ndarray, folds: int, seed: int):
    """Folds stratified for multi-label data (iterative stratification)."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    n = len(Y)
    folds = max(2, min(folds, n))
    splitter = MultilabelStratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros((n, 1)), Y))


def out_of_fold_proba(texts: Sequence[str], Y: np.ndarray, settings: Settings, splits,
                      progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Each document's probabilities from a model that did not see it."""
    proba = np.zeros(Y.shape, dtype=np.float64)
    for train_idx, test_idx in splits:
        pipe = make_pipeline(settings)
        with warnings.catch_warnings():
            # a rare tag may be absent from a training fold; OneVsRest then predicts 0
            warnings.filterwarnings("ignore", message="Label .* is present in all training")
            warnings.filterwarnings("ignore", message="Label not .* is present in all training")
            pipe.fit([texts[i] for i in train_idx], Y[train_idx])
        proba[test_idx] = pipe.predict_proba([texts[i] for i in test_idx])
        if progress:
            progress(1)
    return proba


def best_threshold(y: np.ndarray, scores: np.ndarray) -> float:
    """The threshold that maximises F1 for one tag, halfway to the next lower score."""
    from sklearn.metrics import precision_recall_curve

    if y.sum() == 0:
        return 0.5
    precision, recall, thresholds = precision_recall_curve(y, scores)
    p, r = precision[:-1], recall[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    if f1.max() <= 0:
        return 0.5
    best = int(np.argmax(f1))
    chosen = thresholds[best]
    below = scores[scores < chosen]
    # halfway to the next lower score, so a new document scoring just under the lowest
    # accepted training score is not cut off by an accident of the sample
    return float((chosen + below.max()) / 2) if below.size else float(chosen)


def choose_thresholds(Y: np.ndarray, proba: np.ndarray) -> np.ndarray:
    return np.array([best_threshold(Y[:, k], proba[:, k]) for k in range(Y.shape[1])])


def cross_validated_decisions(Y: np.ndarray, proba: np.ndarray, splits) -> np.ndarray:
    """Decisions for each fold with thresholds chosen on the other folds only."""
    pred = np.zeros(Y.shape, dtype=np.int8)
    for train_idx, test_idx in splits:
        thr = choose_thresholds(Y[train_idx], proba[train_idx])
        pred[test_idx] = proba[test_idx] >= thr
    return pred


def train(docs: Sequence[Document], *, schema: TagSchema | None = None,
          settings: Settings | None = None, command: str | None = None,
          progress: Callable[[int], None] | None = None) -> TaggerModel:
    """Train a model on the labelled documents among ``docs``.

    Per-tag thresholds are chosen on out-of-fold probabilities to maximise each tag's F1;
    the cross-validated scores saved with the model use thresholds chosen without the fold
    they score. ``progress`` is called with 1 after each of ``folds + 1`` fits.
    """
    from . import metrics

    settings = settings or Settings()
    train_docs = labelled(docs)
    if not train_docs:
        raise ModelError("no labelled documents: give --labels, or data with a 'tags' field")
    tags = tag_set(train_docs, schema)
    if not tags:
        raise ModelError(f"the {len(train_docs)} labelled documents carry no tags at all: "
                         "label some documents with the tags they should learn")
    Y = binarize(train_docs, tags)
    check_trainable(Y, tags, len(train_docs))
    texts = [d.content for d in train_docs]

    splits = fold_splits(Y, settings.folds, settings.seed)
    oof = out_of_fold_proba(texts, Y, settings, splits, progress)
    thresholds = choose_thresholds(Y, oof)
    cv_scores = metrics.score(Y, cross_validated_decisions(Y, oof, splits), tags)

    pipe = make_pipeline(settings)
    pipe.fit(texts, Y)
    if progress:
        progress(1)
    vec = pipe.named_steps["tfidf"]
    params = settings.vectorizer_params()
    params.pop("dtype")
    params["ngram_range"] = list(params["ngram_range"])
    estimators = pipe.named_steps["clf"].estimators_
    coef = np.vstack([e.coef_ for e in estimators]).astype(np.float64)
    intercept = np.array([float(e.intercept_[0]) for e in estimators])

    return TaggerModel(
        tags=list(tags), vocabulary=dict(vec.vocabulary_), idf=np.asarray(vec.idf_, dtype=np.float64),
        vectorizer_params=params, coef=coef, intercept=intercept,
        thresholds=thresholds, settings=settings,
        metadata={
            "n_train_docs": len(train_docs),
            "tag_counts": {t: int(c) for t, c in zip(tags, Y.sum(axis=0))},
            "training_data": fingerprint(train_docs, tags),
            "cv": {"folds": len(splits), "seed": settings.seed, **cv_scores},
            "schema": [asdict(t) for t in schema.tags] if schema else [{"id": t} for t in tags],
            "command": command,
        })


def with_settings(settings: Settings, **changes) -> Settings:
    return replace(settings, **{k: v for k, v in changes.items() if v is not None})
