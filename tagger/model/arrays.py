"""A model's arrays (``arrays.npz``): written byte-identically, read only after checking.

Each member's dtype and shape are read from its ``.npy`` header and checked against the
model's metadata and the caps below *before* any of its data is read, so a zip bomb or a
forged header costs milliseconds and bounded memory.
"""

from __future__ import annotations

import io
import math
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..labels.tagschema import MAX_TAGS

# Caps on what a model file may hold: far above what this tool trains (the shipped model:
# 9,081 terms, 4 tags; Reuters R90: about 25,000 terms, 90 tags), low enough that refusing
# a hostile file, or loading the largest one allowed (about 0.8 GB), stays bounded.
ARRAYS_FILE_CAP = 1 << 30          # bytes of arrays.npz on disk


MAX_TERMS = 1_000_000              # vocabulary terms


VOCAB_BYTES_CAP = 16 * 2**20       # bytes of the vocabulary, UTF-8, one term a line


COEF_CAP = 50_000_000              # coefficients: tags x (terms + keyword features)


HEADER_CAP = 10_000                # bytes of one .npy header


WEIGHT_CAP = 1e6                   # |coefficient| and |intercept|


IDF_CAP = 100.0                    # IDF weights are 1 + log(n / df), n documents


MAX_TRAINING_DOCS = 10_000_000     # training documents whose hashes a model keeps
MAX_TRAINING_WORDS = 20_000_000    # distinct words of the training documents (hashed)


# name -> (dtype, dimensions, most elements)
ARRAY_SPECS = {"vocabulary": ("|u1", 1, VOCAB_BYTES_CAP), "idf": ("<f8", 1, MAX_TERMS),
               "coef": ("<f8", 2, COEF_CAP), "intercept": ("<f8", 1, MAX_TAGS),
               "sentence_coef": ("<f8", 2, COEF_CAP), "sentence_intercept": ("<f8", 1, MAX_TAGS),
               "training_hashes": ("<u8", 2, 2 * MAX_TRAINING_DOCS),
               "training_words": ("<u8", 1, MAX_TRAINING_WORDS)}
# the members of a model without sentence features
BASE_ARRAYS = ("vocabulary", "idf", "coef", "intercept")
SENTENCE_ARRAYS = ("sentence_coef", "sentence_intercept")
OPTIONAL_ARRAYS = ("training_hashes", "training_words")  # models written before they were kept lack them


# A fixed timestamp inside the zip keeps the same model byte-identical across runs.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """np.savez, but with fixed zip timestamps so equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def read_arrays(path: Path, *, n_tags: int, n_keyword: int, sentences: bool = False,
                n_train_docs: int | None = None, n_sentence_cues: int = 0) -> dict[str, np.ndarray]:
    """The model's arrays, each checked from its .npy header before its data is read.

    Refused without reading data: an unexpected or missing member, an object (pickled)
    dtype or any dtype but the expected one, a shape that disagrees with the metadata, a
    size over the caps, or a member whose recorded size disagrees with its header (a
    forged header or a zip bomb).
    """
    expect = _Expected(n_tags, n_keyword + n_tags * sentences, n_train_docs, n_sentence_cues)
    try:
        size = path.stat().st_size
        if size > ARRAYS_FILE_CAP:
            raise ModelError(f"{path}: {size:,} bytes, over the cap of {ARRAYS_FILE_CAP:,} for a "
                             "model's arrays; refusing it")
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_members(path, infos, sentences)
            out = {}
            for info in sorted(infos, key=lambda i: list(ARRAY_SPECS).index(i.filename[:-4])):
                out[info.filename[:-4]] = _read_member(path, zf, info, out, expect)
    except ModelError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, zlib.error, EOFError,
            NotImplementedError) as exc:
        raise corrupt(path, exc.__class__.__name__) from None
    _check_values(path, out)
    return out


def corrupt(path: Path, why: str) -> ModelError:
    return ModelError(f"{path}: corrupt model arrays ({why}); refusing it")


def _check_members(path: Path, infos: list[zipfile.ZipInfo], sentences: bool) -> None:
    """The archive holds the members a model of this kind has, and no others."""
    if len(infos) > len(ARRAY_SPECS) + 1:  # checked before the names are looked at
        raise corrupt(path, f"{len(infos)} members")
    names = sorted(i.filename for i in infos)
    expected = sorted(n + ".npy" for n in (*BASE_ARRAYS, *(SENTENCE_ARRAYS if sentences else ())))
    optional = {n + ".npy" for n in OPTIONAL_ARRAYS}
    if [n for n in names if n not in optional] != expected:
        raise corrupt(path, f"members {', '.join(names)}; expected {', '.join(expected)}")


@dataclass(frozen=True)
class _Expected:
    """What the model's metadata says the arrays' shapes are: ``n_extra``, the features
    after the terms (keyword and sentence features); ``n_sentence_cues``, the sentence
    scorers' cue features after their terms."""

    n_tags: int
    n_extra: int
    n_train_docs: int | None
    n_sentence_cues: int


def _read_member(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, read: dict,
                 expect: _Expected) -> np.ndarray:
    """One member, its header checked (dtype, shape, caps, recorded size) before its data
    is read; ``read``: the members read before it."""
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
            raise corrupt(path, f"{name} is {found.str} of {len(shape)} dimensions, "
                                f"expected {np.dtype(dtype).str} of {ndim}")
        count = math.prod(shape)
        if count > cap:
            raise corrupt(path, f"{name} claims {count:,} elements, over the cap of {cap:,}")
        _check_shape(path, name, shape, read, expect)
        nbytes = count * found.itemsize
        if info.file_size != fh.tell() + nbytes:
            raise corrupt(path, f"{name}'s recorded size disagrees with its header")
        data = fh.read(nbytes)
        if len(data) != nbytes:
            raise corrupt(path, f"{name} is truncated")
    arr = np.frombuffer(data, dtype=found).reshape(shape)
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise corrupt(path, f"{name} holds values that are not finite numbers")
    return arr


def _check_values(path: Path, out: dict[str, np.ndarray]) -> None:
    """Weights within the cap, training words sorted and distinct, IDF weights in range."""
    limit = [out[n] for n in ("coef", "intercept", "sentence_coef", "sentence_intercept") if n in out]
    if any(np.abs(a).max(initial=0.0) > WEIGHT_CAP for a in limit):
        raise corrupt(path, f"a weight beyond +-{WEIGHT_CAP:g}")
    words = out.get("training_words")
    if words is not None and len(words) > 1 and not (words[1:] > words[:-1]).all():
        raise corrupt(path, "the training words are not sorted and distinct")
    if out["idf"].size and (out["idf"].min() < 1.0 or out["idf"].max() > IDF_CAP):
        raise corrupt(path, f"IDF weights outside [1, {IDF_CAP:g}]")


def _check_shape(path: Path, name: str, shape, read: dict, expect: _Expected) -> None:
    """Does an array's shape agree with the metadata and the arrays read before it?"""
    if name == "coef":
        want = (expect.n_tags, read["idf"].shape[0] + expect.n_extra)
    elif name == "sentence_coef":
        want = (expect.n_tags, read["idf"].shape[0] + expect.n_sentence_cues)
    elif name in ("intercept", "sentence_intercept"):
        want = (expect.n_tags,)
    elif name == "training_hashes":
        want = (expect.n_train_docs if expect.n_train_docs is not None else shape[0], 2)
    else:
        return
    if tuple(shape) != want:
        raise corrupt(path, f"{name} has shape {tuple(shape)}, but the model's tags and "
                            f"vocabulary make it {want}")
