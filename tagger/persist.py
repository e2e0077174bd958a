"""Saving and loading models as data only: JSON metadata and a .npz of plain arrays.

Nothing here unpickles: arrays are read with ``allow_pickle=False`` and a model directory
holding anything but the two expected files is refused, so a model file someone sends
cannot run code.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np

from .errors import ModelError

FORMAT = "tagger-model"
FORMAT_VERSION = 1
META_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"
ARRAY_NAMES = ("vocabulary", "idf", "coef", "intercept")
# A fixed timestamp inside the zip keeps the same model byte-identical across runs.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def library_versions() -> dict:
    from importlib.metadata import version

    from . import __version__

    return {"tagger": __version__,
            **{name: version(name) for name in ("scikit-learn", "numpy", "scipy", "pandas",
                                                "joblib", "click")}}


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """np.savez, but with fixed zip timestamps so equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def model_to_files(model) -> tuple[dict, dict[str, np.ndarray]]:
    terms = [None] * len(model.vocabulary)
    for term, idx in model.vocabulary.items():
        terms[idx] = term
    vocab_blob = np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8)
    arrays = {"vocabulary": vocab_blob, "idf": np.asarray(model.idf, dtype=np.float64),
              "coef": model.coef.astype(np.float64), "intercept": model.intercept.astype(np.float64)}
    params = dict(model.vectorizer_params)
    params["ngram_range"] = list(params["ngram_range"])
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


def save_model(model, directory: str | Path) -> Path:
    """Write the model directory atomically: a finished model or the old one, never half."""
    directory = Path(directory)
    meta, arrays = model_to_files(model)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n",
                                     encoding="utf-8")
        _write_npz(tmp / ARRAYS_FILE, arrays)
        os.chmod(tmp, 0o755)
        for f in tmp.iterdir():
            with f.open("rb") as fh:
                os.fsync(fh.fileno())
        old = None
        if directory.exists():
            if not directory.is_dir():
                raise ModelError(f"{directory}: exists and is not a directory")
            old = directory.parent / f".{directory.name}.old-{os.getpid()}"
            os.replace(directory, old)
        os.replace(tmp, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def load_model(directory: str | Path):
    """Read a model directory written by :func:`save_model`; never unpickles anything."""
    from .model import Settings, TaggerModel, make_lexicon

    directory = Path(directory)
    if not directory.exists():
        raise ModelError(f"{directory}: model directory does not exist")
    if not directory.is_dir():
        raise ModelError(f"{directory}: a model is a directory holding {META_FILE} and {ARRAYS_FILE}")
    unexpected = sorted(p.name for p in directory.iterdir() if p.name not in (META_FILE, ARRAYS_FILE))
    if unexpected:
        raise ModelError(f"{directory}: refusing to load a model directory with unexpected files "
                         f"({', '.join(unexpected)}); models hold only {META_FILE} and {ARRAYS_FILE}, "
                         "and never pickles")
    meta_path, arrays_path = directory / META_FILE, directory / ARRAYS_FILE
    for p in (meta_path, arrays_path):
        if not p.is_file():
            raise ModelError(f"{p}: missing; not a tagger model directory")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{meta_path}: corrupt model metadata ({exc.__class__.__name__})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(f"{meta_path}: not a tagger model (format is not {FORMAT!r})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{meta_path}: model format version {meta.get('format_version')} is not "
                         f"supported (this tagger reads version {FORMAT_VERSION})")
    try:
        with np.load(arrays_path, allow_pickle=False) as npz:
            missing = [n for n in ARRAY_NAMES if n not in npz.files]
            if missing:
                raise ModelError(f"{arrays_path}: corrupt model arrays (missing {', '.join(missing)})")
            arrays = {n: npz[n] for n in ARRAY_NAMES}
    except ModelError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise ModelError(f"{arrays_path}: holds pickled objects; refusing to load") from None
        raise ModelError(f"{arrays_path}: corrupt model arrays ({exc})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelError(f"{arrays_path}: corrupt model arrays ({exc.__class__.__name__})") from None

    try:
        tags = [str(t) for t in meta["tags"]]
        thresholds = np.array([float(meta["thresholds"][t]) for t in tags])
        known = {f.name for f in fields(Settings)}
        settings = Settings(**{k: v for k, v in meta["settings"].items() if k in known})
        params = dict(meta["vectorizer"])
        if not isinstance(params.get("ngram_range"), list) or len(params["ngram_range"]) != 2:
            raise ValueError("vectorizer ngram_range must be a pair")
        terms = arrays["vocabulary"].tobytes().decode("utf-8").split("\n")
        coef, intercept, idf = arrays["coef"], arrays["intercept"], arrays["idf"]
        keywords = _keywords(meta.get("keywords", []), tags)
        n = len(terms)
        n_keyword = len(keywords) if keywords and settings.keyword_window > 0 else 0
        if (coef.shape != (len(tags), n + n_keyword) or intercept.shape != (len(tags),)
                or idf.shape != (n,)):
            raise ValueError("array shapes do not match the vocabulary, keywords and tags")
        lexicon = make_lexicon(keywords, settings)  # refuses keywords that could never match
        vocabulary = {t: i for i, t in enumerate(terms)}
        if len(vocabulary) != n:
            raise ValueError("the vocabulary repeats a term")
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"{directory}: corrupt model ({exc.__class__.__name__}: {exc})") from None

    extra = {k: v for k, v in meta.items() if k not in
             ("format", "format_version", "tags", "thresholds", "settings", "vectorizer",
              "keywords", "n_features", "versions")}
    extra["versions"] = meta.get("versions", {})
    model = TaggerModel(tags=tags, vocabulary=vocabulary, idf=idf, vectorizer_params=params,
                        coef=coef, intercept=intercept, thresholds=thresholds,
                        settings=settings, keywords=keywords, metadata=extra)
    model._cache["lexicon"] = lexicon  # built once, while checking
    return model


def _keywords(value, tags: list[str]) -> list[dict]:
    """The model's keyword lists, checked: plain strings only, for known tags."""
    def strings(x):
        if not isinstance(x, list) or not all(isinstance(v, str) for v in x):
            raise ValueError("keyword lists must be lists of strings")
        return list(x)

    if not isinstance(value, list):
        raise ValueError("'keywords' must be a list")
    out = []
    for entry in value:
        if not isinstance(entry, dict) or entry.get("tag") not in tags:
            raise ValueError("each keyword list needs the 'tag' it belongs to")
        out.append({"tag": entry["tag"], "keywords": strings(entry.get("keywords")),
                    "context": strings(entry.get("context", []))})
    return out
