"""Saving and loading models as data only: JSON metadata and a .npz of plain arrays.

Nothing here unpickles: arrays are read with ``allow_pickle=False`` and a model directory
holding anything but the two expected files is refused, so a model file someone sends
cannot run code.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import zipfile
import zlib
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .errors import ModelError, OutputError, SettingsError
from .labels import MAX_TAGS
from .files import OLD_MARK, new_mode, remove, stale_temporaries, temp_path

FORMAT = "tagger-model"
FORMAT_VERSION = 1
META_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"
MODEL_FILES = (META_FILE, ARRAYS_FILE)

# Caps on what a model file may hold: far above what this tool trains (the shipped model:
# 9,081 terms, 4 tags, 18 kB of metadata; Reuters R90: about 25,000 terms, 90 tags), low
# enough that refusing a hostile file, or loading the largest one allowed, stays bounded.
META_CAP = 16 * 2**20              # bytes of model.json
ARRAYS_FILE_CAP = 1 << 30          # bytes of arrays.npz on disk
MAX_TERMS = 1_000_000              # vocabulary terms
VOCAB_BYTES_CAP = 16 * 2**20       # bytes of the vocabulary, UTF-8, one term a line
COEF_CAP = 50_000_000              # coefficients: tags x (terms + keyword features)
HEADER_CAP = 10_000                # bytes of one .npy header
WEIGHT_CAP = 1e6                   # |coefficient| and |intercept|
IDF_CAP = 100.0                    # IDF weights are 1 + log(n / df), n documents
# name -> (dtype, dimensions, most elements)
ARRAY_SPECS = {"vocabulary": ("|u1", 1, VOCAB_BYTES_CAP), "idf": ("<f8", 1, MAX_TERMS),
               "coef": ("<f8", 2, COEF_CAP), "intercept": ("<f8", 1, MAX_TAGS)}
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
        with path.open("rb") as fh:
            head = fh.read(META_CAP + 1)
        meta = json.loads(head)
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


def save_model(model, directory: str | Path) -> Path:
    """Write the model directory atomically: a finished model or the old one, never half.

    Refuses a directory holding anything but a model (see :func:`check_model_target`).
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
        _write_npz(tmp / ARRAYS_FILE, arrays)
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


def load_model(directory: str | Path):
    """Read a model directory written by :func:`save_model`; never unpickles anything.

    Everything is checked before use: ``model.json`` against the schema in
    :mod:`tagger.model_schema`, each array's name, dtype and shape from its header
    against that metadata and the size caps, before any array data is read.
    """
    from . import model_schema  # msgspec: imported when a model is loaded, not before
    from .model import Settings, TaggerModel, make_lexicon

    directory = Path(directory)
    if not directory.exists():
        raise ModelError(f"{directory}: model directory does not exist")
    if not directory.is_dir():
        raise ModelError(f"{directory}: a model is a directory holding {META_FILE} and {ARRAYS_FILE}")
    unexpected = sorted(p.name for p in directory.iterdir() if p.name not in MODEL_FILES)
    if unexpected:
        raise ModelError(f"{directory}: refusing to load a model directory with unexpected files "
                         f"({', '.join(unexpected)}); models hold only {META_FILE} and {ARRAYS_FILE}, "
                         "and never pickles")
    meta_path, arrays_path = directory / META_FILE, directory / ARRAYS_FILE
    for p in (meta_path, arrays_path):
        if p.is_symlink() or not p.is_file():
            raise ModelError(f"{p}: missing or not a regular file; not a tagger model directory")
    raw_meta = _read_capped(meta_path, META_CAP)
    meta = model_schema.parse(raw_meta, meta_path)
    tags = list(meta.tags)
    try:
        settings = Settings.from_dict(meta.settings)
    except (SettingsError, TypeError) as exc:
        raise ModelError(f"{meta_path}: {exc}") from None
    expected_params = _saved_params(settings)
    if meta.vectorizer != expected_params:
        raise ModelError(f"{meta_path}: the vectorizer settings are fixed by the model format "
                         "and must follow from 'settings'; this file sets others, so it was "
                         "not written by tagger (refusing it)")
    keywords = [{"tag": k.tag, "keywords": list(k.keywords), "context": list(k.context)}
                for k in meta.keywords]
    if any(k["tag"] not in tags for k in keywords):
        raise ModelError(f"{meta_path}: corrupt model (a keyword list names a tag the model "
                         "does not have)")
    n_keyword = len(keywords) if keywords and settings.keyword_window > 0 else 0
    arrays = read_arrays(arrays_path, n_tags=len(tags), n_keyword=n_keyword)
    try:
        terms = arrays["vocabulary"].tobytes().decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raise ModelError(f"{arrays_path}: corrupt model arrays (the vocabulary is not UTF-8)") from None
    n = len(terms)
    if arrays["idf"].shape != (n,) or arrays["coef"].shape[1] != n + n_keyword:
        raise ModelError(f"{arrays_path}: corrupt model arrays (array shapes do not match the "
                         f"vocabulary of {n} terms, {n_keyword} keyword features and {len(tags)} tags)")
    vocabulary = {t: i for i, t in enumerate(terms)}
    if len(vocabulary) != n:
        raise ModelError(f"{arrays_path}: corrupt model arrays (the vocabulary repeats a term)")
    if meta.n_features != n + n_keyword:
        raise ModelError(f"{meta_path}: corrupt model (n_features is {meta.n_features}, the "
                         f"arrays hold {n + n_keyword})")
    try:
        lexicon = make_lexicon(keywords, settings)  # refuses keywords that could never match
    except ValueError as exc:
        raise ModelError(f"{meta_path}: corrupt model (ValueError: {exc})") from None

    thresholds = np.array([meta.thresholds[t] for t in tags], dtype=np.float64)
    model = TaggerModel(tags=tags, vocabulary=vocabulary, idf=arrays["idf"],
                        vectorizer_params=expected_params, coef=arrays["coef"],
                        intercept=arrays["intercept"], thresholds=thresholds,
                        settings=settings, keywords=keywords, metadata=model_schema.extra(meta))
    model._cache["lexicon"] = lexicon  # built once, while checking
    return model


def _saved_params(settings) -> dict:
    """The vectorizer arguments as saved in model.json, from the settings."""
    params = settings.vectorizer_params()
    params.pop("dtype")
    params["ngram_range"] = list(params["ngram_range"])
    return params


def _read_capped(path: Path, cap: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > cap:
            raise ModelError(f"{path}: {size:,} bytes, over the cap of {cap:,} for a model's "
                             "metadata; refusing it")
        with path.open("rb") as fh:
            data = fh.read(size + 1)  # not cap + 1: read() sets aside what it is asked for
        if len(data) > size:
            raise ModelError(f"{path}: changed while it was read; try again")
        return data
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def read_arrays(path: Path, *, n_tags: int, n_keyword: int) -> dict[str, np.ndarray]:
    """The model's arrays, each checked from its .npy header before its data is read.

    Refused without reading data: an unexpected or missing member, an object (pickled)
    dtype or any dtype but the expected one, a shape that disagrees with the metadata, a
    size over the caps, or a member whose recorded size disagrees with its header (a
    forged header or a zip bomb).
    """
    def corrupt(why: str) -> ModelError:
        return ModelError(f"{path}: corrupt model arrays ({why}); refusing it")

    try:
        size = path.stat().st_size
        if size > ARRAYS_FILE_CAP:
            raise ModelError(f"{path}: {size:,} bytes, over the cap of {ARRAYS_FILE_CAP:,} for a "
                             "model's arrays; refusing it")
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > len(ARRAY_SPECS) + 1:  # checked before the names are looked at
                raise corrupt(f"{len(infos)} members")
            names = sorted(i.filename for i in infos)
            expected = sorted(n + ".npy" for n in ARRAY_SPECS)
            if names != expected:
                raise corrupt(f"members {', '.join(names)}; expected {', '.join(expected)}")
            out = {}
            for info in sorted(infos, key=lambda i: list(ARRAY_SPECS).index(i.filename[:-4])):
                name = info.filename[:-4]
                dtype, ndim, cap = ARRAY_SPECS[name]
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                              else np.lib.format.read_array_header_2_0)
                    shape, fortran, found = reader(fh, max_header_size=HEADER_CAP)
                    if found.hasobject:
                        raise ModelError(f"{path}: {name} holds pickled objects; refusing to load")
                    if found != np.dtype(dtype) or fortran or len(shape) != ndim:
                        raise corrupt(f"{name} is {found.str} of {len(shape)} dimensions, "
                                      f"expected {np.dtype(dtype).str} of {ndim}")
                    count = math.prod(shape)
                    if count > cap:
                        raise corrupt(f"{name} claims {count:,} elements, over the cap of {cap:,}")
                    _check_shape(name, shape, out, n_tags, n_keyword, corrupt)
                    nbytes = count * found.itemsize
                    if info.file_size != fh.tell() + nbytes:
                        raise corrupt(f"{name}'s recorded size disagrees with its header")
                    data = fh.read(nbytes)
                    if len(data) != nbytes:
                        raise corrupt(f"{name} is truncated")
                arr = np.frombuffer(data, dtype=found).reshape(shape)
                if arr.dtype.kind == "f" and not np.isfinite(arr).all():
                    raise corrupt(f"{name} holds values that are not finite numbers")
                out[name] = arr
    except ModelError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, zlib.error, EOFError,
            NotImplementedError) as exc:
        raise corrupt(exc.__class__.__name__) from None
    limit = out["coef"], out["intercept"]
    if any(np.abs(a).max(initial=0.0) > WEIGHT_CAP for a in limit):
        raise corrupt(f"a weight beyond +-{WEIGHT_CAP:g}")
    if out["idf"].size and (out["idf"].min() < 1.0 or out["idf"].max() > IDF_CAP):
        raise corrupt(f"IDF weights outside [1, {IDF_CAP:g}]")
    return out


def _check_shape(name, shape, read: dict, n_tags: int, n_keyword: int, corrupt) -> None:
    """Does an array's shape agree with the metadata and the arrays read before it?"""
    if name == "coef":
        want = (n_tags, read["idf"].shape[0] + n_keyword)
    elif name == "intercept":
        want = (n_tags,)
    else:
        return
    if tuple(shape) != want:
        raise corrupt(f"{name} has shape {tuple(shape)}, but the model's tags and vocabulary "
                      f"make it {want}")
