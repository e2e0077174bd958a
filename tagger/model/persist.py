"""Saving and loading models as data only: JSON metadata and a .npz of plain arrays.

Nothing here unpickles: arrays are read with ``allow_pickle=False`` and a model directory
holding anything but the two expected files is refused, so a model file someone sends
cannot run code.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..errors import ModelError, OutputError, SettingsError
from ..config import Settings
from ..text.cues import NAMES as CUE_NAMES
from ..io.decoding import read_bounded
from ..io.files import OLD_MARK, new_mode, remove, stale_temporaries, temp_path
from .arrays import read_arrays, write_npz
from .core import TaggerModel, saved_vectorizer_params
from . import schema as model_schema
from .schema import FORMAT, FORMAT_VERSION

SHIPPED_NAME = "ukraine-war"
META_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"
CARD_FILE = "README.md"  # the model card (tagger card): text for people, never read to tag
MODEL_FILES = (META_FILE, ARRAYS_FILE, CARD_FILE)

META_CAP = 16 * 2**20  # bytes of model.json: far above the shipped model's 18 kB
CARD_CAP = 2**20       # bytes of README.md: a card is a few kB


def library_versions() -> dict:
    from importlib.metadata import version

    return {name: version(name) for name in ("tagger", "scikit-learn", "numpy", "scipy",
                                             "pandas", "joblib", "click")}


def model_to_files(model) -> tuple[dict, dict[str, np.ndarray]]:
    terms = [None] * len(model.vocabulary)
    for term, idx in model.vocabulary.items():
        terms[idx] = term
    vocab_blob = np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8)
    arrays = {"vocabulary": vocab_blob, "idf": np.asarray(model.idf, dtype=np.float64),
              "coef": model.coef.astype(np.float64), "intercept": model.intercept.astype(np.float64)}
    if model.sentence_coef is not None:
        arrays["sentence_coef"] = model.sentence_coef.astype(np.float64)
        arrays["sentence_intercept"] = model.sentence_intercept.astype(np.float64)
    for name in ("training_hashes", "training_words"):
        if getattr(model, name) is not None:
            arrays[name] = np.asarray(getattr(model, name), dtype=np.uint64)
    params = saved_vectorizer_params(model.settings)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tags": model.tags,
        "thresholds": {t: float(v) for t, v in zip(model.tags, model.thresholds)},
        "settings": asdict(model.settings),
        "vectorizer": params,
        "keywords": model.keywords,
        "n_features": int(model.n_features),
        "versions": library_versions(),
        **model.metadata,
    }
    return meta, arrays


def check_model_target(directory: str | Path) -> Path:
    """Refuse to replace a directory that holds anything but a tagger model.

    Training replaces its output directory whole, so only a new or empty directory, or
    one holding a model (and nothing else), may be given."""
    directory = Path(directory)
    if directory.is_symlink():
        raise OutputError(directory, "is a symbolic link; give the directory it points to")
    if not directory.exists():
        return directory
    if not directory.is_dir():
        raise OutputError(directory, "exists and is not a directory; a model is a directory")
    entries = sorted(p.name + ("/" if p.is_dir() else "") for p in directory.iterdir())
    if not entries:
        return directory
    foreign = [e for e in entries if e not in MODEL_FILES]
    if not foreign and _is_model_meta(directory / META_FILE):
        return directory
    shown = ", ".join(foreign[:5] or entries[:5]) + (", ..." if len(foreign) > 5 else "")
    raise OutputError(directory, f"holds files that are not a tagger model ({shown}); a model "
                                 "replaces its directory whole, so give a new or empty "
                                 "directory, or one that holds a model")


def _is_model_meta(path: Path) -> bool:
    try:
        meta = json.loads(read_bounded(path, META_CAP))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(meta, dict) and meta.get("format") == FORMAT


def _sweep_model_target(directory: Path) -> None:
    """Clear what a killed save left: a half-written model, or the old model moved aside
    (put back when the new one never arrived)."""
    olds = stale_temporaries(directory, OLD_MARK)
    if olds and not directory.exists():
        os.replace(olds.pop(), directory)
    for p in [*olds, *stale_temporaries(directory)]:
        remove(p)


def save_model(model, directory: str | Path, *, card: str | None = None) -> Path:
    """Write the model directory atomically: a finished model or the old one, never half.

    ``card`` is the text of its model card (``README.md``), written with it; a card left
    from the model it replaces goes with that model. Refuses a directory holding anything
    but a model (see :func:`check_model_target`).
    """
    directory = check_model_target(directory)
    meta, arrays = model_to_files(model)
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        _sweep_model_target(directory)
        tmp = temp_path(directory)
        tmp.mkdir(mode=0o700)
    except OSError as exc:
        raise OutputError(directory, f"cannot be written ({exc.strerror or exc})") from None
    try:
        file_mode = new_mode(directory / META_FILE)
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True, allow_nan=False)
                                     + "\n", encoding="utf-8")
        write_npz(tmp / ARRAYS_FILE, arrays)
        if card is not None:
            (tmp / CARD_FILE).write_text(card, encoding="utf-8")
        for f in tmp.iterdir():
            os.chmod(f, file_mode)
            with f.open("rb") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp, new_mode(directory, directory=True))
        old = None
        if directory.exists():
            check_model_target(directory)  # still a model: nothing else was put there meanwhile
            old = temp_path(directory, OLD_MARK)
            os.replace(directory, old)
        os.replace(tmp, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise OutputError(directory, f"cannot be written ({exc.strerror or exc}); the "
                                         "model there, if any, is unchanged") from None
        raise
    return directory


def shipped_model() -> Path | None:
    """The model installed with the package (package data of a wheel, or ``models/`` of
    the source tree of an editable install), or None if there is none."""
    package = Path(__file__).resolve().parent.parent
    candidates = [package / "models" / SHIPPED_NAME]
    if (package.parent / "pyproject.toml").is_file():  # a source tree, installed editable
        candidates.append(package.parent / "models" / SHIPPED_NAME)
    return next((c for c in candidates if (c / META_FILE).is_file()), None)


def load_model(directory: str | Path | None = None):
    """Read a model directory written by :func:`save_model` (by default, the shipped
    model); never unpickles anything.

    Everything is checked before use: ``model.json`` against the schema in
    :mod:`tagger.model.schema`, each array's name, dtype and shape from its header
    against that metadata and the size caps, before any array data is read.
    """
    meta_path, arrays_path = _model_files(directory)
    meta, settings, keywords = _checked_meta(meta_path)
    tags = list(meta.tags)
    n_keyword = len(keywords) if keywords and settings.keyword_window > 0 else 0
    arrays = read_arrays(arrays_path, n_tags=len(tags), n_keyword=n_keyword,
                         sentences=settings.sentences, n_train_docs=meta.n_train_docs,
                         n_sentence_cues=len(CUE_NAMES) if settings.sentences
                         and settings.sentence_cues > 0 else 0)
    n_sentence = len(tags) if settings.sentences else 0
    vocabulary = _checked_vocabulary(arrays, arrays_path, n_keyword + n_sentence, len(tags))
    if meta.n_features != len(vocabulary) + n_keyword + n_sentence:
        raise ModelError(f"{meta_path}: corrupt model (n_features is {meta.n_features}, the "
                         f"arrays hold {len(vocabulary) + n_keyword + n_sentence})")
    thresholds = np.array([meta.thresholds[t] for t in tags], dtype=np.float64)
    model = TaggerModel(tags=tags, vocabulary=vocabulary, idf=arrays["idf"],
                        vectorizer_params=saved_vectorizer_params(settings), coef=arrays["coef"],
                        intercept=arrays["intercept"], thresholds=thresholds,
                        settings=settings, keywords=keywords,
                        sentence_coef=arrays.get("sentence_coef"),
                        sentence_intercept=arrays.get("sentence_intercept"),
                        training_hashes=arrays.get("training_hashes"),
                        training_words=arrays.get("training_words"),
                        metadata=model_schema.extra(meta))
    try:
        model.featurizer()  # built now, once: its lexicon refuses keywords that never match
    except ValueError as exc:
        raise ModelError(f"{meta_path}: corrupt model (ValueError: {exc})") from None
    if settings.sentences and model.featurizer().name != "fast":
        raise ModelError(f"{arrays_path}: corrupt model arrays (sentence features need a "
                         "vocabulary of plain word n-grams)")
    return model


def _model_files(directory: str | Path | None) -> tuple[Path, Path]:
    """The model directory's metadata and arrays files, once the directory holds only a
    model's files (regular files, the card within its cap)."""
    if directory is None:
        directory = shipped_model()
        if directory is None:
            raise ModelError("no model given, and no shipped model is installed")
    directory = Path(directory)
    if not directory.exists():
        raise ModelError(f"{directory}: model directory does not exist")
    if not directory.is_dir():
        raise ModelError(f"{directory}: a model is a directory holding {META_FILE} and {ARRAYS_FILE}")
    unexpected = sorted(p.name for p in directory.iterdir() if p.name not in MODEL_FILES)
    if unexpected:
        raise ModelError(f"{directory}: refusing to load a model directory with unexpected files "
                         f"({', '.join(unexpected)}); models hold only {META_FILE}, {ARRAYS_FILE} "
                         f"and a {CARD_FILE} card, and never pickles")
    card = directory / CARD_FILE
    if card.is_symlink() or (card.exists() and not card.is_file()):
        raise ModelError(f"{card}: not a regular file; a model's card is a plain text file")
    if card.exists() and card.stat().st_size > CARD_CAP:
        raise ModelError(f"{card}: {card.stat().st_size:,} bytes, over the cap of {CARD_CAP:,} "
                         "for a model card; refusing the model")
    meta_path, arrays_path = directory / META_FILE, directory / ARRAYS_FILE
    for p in (meta_path, arrays_path):
        if p.is_symlink() or not p.is_file():
            raise ModelError(f"{p}: missing or not a regular file; not a tagger model directory")
    return meta_path, arrays_path


def _checked_meta(meta_path: Path):
    """``model.json`` parsed by its schema; its settings and keyword lists checked."""
    meta = model_schema.parse(_read_capped(meta_path, META_CAP), meta_path)
    try:
        settings = Settings.from_saved(meta.settings)
    except (SettingsError, TypeError) as exc:
        raise ModelError(f"{meta_path}: {exc}") from None
    if meta.vectorizer != saved_vectorizer_params(settings):
        raise ModelError(f"{meta_path}: the vectorizer settings are fixed by the model format "
                         "and must follow from 'settings'; this file sets others, so it was "
                         "not written by tagger (refusing it)")
    keywords = [{"tag": k.tag, "keywords": list(k.keywords), "context": list(k.context)}
                for k in meta.keywords]
    if any(k["tag"] not in meta.tags for k in keywords):
        raise ModelError(f"{meta_path}: corrupt model (a keyword list names a tag the model "
                         "does not have)")
    return meta, settings, keywords


def _checked_vocabulary(arrays: dict, arrays_path: Path, n_extra: int, n_tags: int) -> dict:
    """The vocabulary's terms by column, once the arrays' shapes fit it (``n_extra``: the
    keyword and sentence features after the terms)."""
    try:
        terms = arrays["vocabulary"].tobytes().decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raise ModelError(f"{arrays_path}: corrupt model arrays (the vocabulary is not UTF-8)") from None
    n = len(terms)
    if arrays["idf"].shape != (n,) or arrays["coef"].shape[1] != n + n_extra:
        raise ModelError(f"{arrays_path}: corrupt model arrays (array shapes do not match the "
                         f"vocabulary of {n} terms, {n_extra} keyword and sentence features "
                         f"and {n_tags} tags)")
    vocabulary = dict(zip(terms, range(n)))
    if len(vocabulary) != n:
        raise ModelError(f"{arrays_path}: corrupt model arrays (the vocabulary repeats a term)")
    return vocabulary


def _read_capped(path: Path, cap: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > cap:
            raise ModelError(f"{path}: {size:,} bytes, over the cap of {cap:,} for a model's "
                             "metadata; refusing it")
        data = read_bounded(path, cap)
        if len(data) > size:
            raise ModelError(f"{path}: changed while it was read; try again")
        return data
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def model_digest(directory: str | Path) -> str:
    """The model's fingerprint: SHA-256 of its files (names and bytes) but the card, which
    is prose. It is what every tagged record names in its ``model`` column."""
    h = hashlib.sha256()
    for f in sorted(p for p in Path(directory).iterdir() if p.name != CARD_FILE):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()
