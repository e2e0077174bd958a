"""Hostile model directories, each built from a valid model by changing one thing.

Used by the reliability tests (each must be refused with a ModelError, quickly and in
bounded memory) and by benchmarks/hostile_models.py (which times the refusals).
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np


def _arrays(model_dir: Path) -> dict[str, np.ndarray]:
    with np.load(model_dir / "arrays.npz", allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def _npy(arr: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def _write_zip(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _rewrite_arrays(dst: Path, change, compression=zipfile.ZIP_DEFLATED) -> None:
    arrays = _arrays(dst)
    change(arrays)
    _write_zip(dst / "arrays.npz", {f"{k}.npy": _npy(v) for k, v in arrays.items()}, compression)


def _rewrite_meta(dst: Path, change) -> None:
    meta = json.loads((dst / "model.json").read_text())
    text = change(meta)
    (dst / "model.json").write_text(text if isinstance(text, str) else json.dumps(meta))


# columns of the zip bomb's coef: 64 MB of zeros for the tests; the benchmark makes it
# 120,000,000 (3.84 GB, deflated to about 4 MB), the size of the bomb once reported
BOMB_COLUMNS = 2_000_000


def zip_bomb(dst: Path) -> None:
    """coef.npy deflated from BOMB_COLUMNS x tags x 8 bytes of zeros to a thousandth of
    that, its header consistent with its data."""
    arrays = _arrays(dst)
    shape = (arrays["coef"].shape[0], BOMB_COLUMNS)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": shape})
    with zipfile.ZipFile(dst / "arrays.npz", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for k in ("vocabulary", "idf", "intercept"):
            zf.writestr(f"{k}.npy", _npy(arrays[k]))
        info = zipfile.ZipInfo("coef.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as fh:
            fh.write(header.getvalue())
            zeros = bytes(1 << 22)
            for _ in range(shape[0] * shape[1] * 8 // len(zeros)):
                fh.write(zeros)


def forged_header(dst: Path) -> None:
    """coef.npy's header claims 10**12 elements; the data is a few bytes."""
    arrays = _arrays(dst)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10**6, 10**6)})
    members = {f"{k}.npy": _npy(v) for k, v in arrays.items()}
    members["coef.npy"] = header.getvalue() + bytes(64)
    _write_zip(dst / "arrays.npz", members)


def huge_vocabulary(dst: Path) -> None:
    """A 22 MB vocabulary (400,000 terms of 55 characters), every other array consistent
    with it."""
    n = 400_000
    terms = "\n".join(f"w{i:07d}{'x' * 47}" for i in range(n)).encode()
    meta = json.loads((dst / "model.json").read_text())
    n_kw = len(meta["keywords"]) if meta["settings"]["keyword_window"] > 0 else 0
    n_sent = len(meta["tags"]) if meta["settings"].get("sentences") else 0

    def change(a):
        a["vocabulary"] = np.frombuffer(terms, dtype=np.uint8)
        a["idf"] = np.ones(n)
        a["coef"] = np.zeros((len(meta["tags"]), n + n_kw + n_sent))
        if n_sent:
            a["sentence_coef"] = np.zeros((len(meta["tags"]), n))
    _rewrite_arrays(dst, change, zipfile.ZIP_STORED)  # stored: quicker to build
    _rewrite_meta(dst, lambda m: m.update(n_features=n + n_kw + n_sent))


def pickle_in_coef(dst: Path) -> None:
    """coef.npy holds a pickled object array."""
    arrays = _arrays(dst)
    members = {f"{k}.npy": _npy(v) for k, v in arrays.items()}
    members["coef.npy"] = _npy(np.array([{"evil": print}], dtype=object), allow_pickle=True)
    _write_zip(dst / "arrays.npz", members)


def extra_member(dst: Path) -> None:
    arrays = _arrays(dst)
    members = {f"{k}.npy": _npy(v) for k, v in arrays.items()}
    members["payload.npy"] = _npy(np.zeros(3))
    _write_zip(dst / "arrays.npz", members)


def truncated_arrays(dst: Path) -> None:
    data = (dst / "arrays.npz").read_bytes()
    (dst / "arrays.npz").write_bytes(data[:len(data) // 2])


def nan_coefficient(dst: Path) -> None:
    def change(a):
        a["coef"] = a["coef"].copy()
        a["coef"][0, 0] = np.nan
    _rewrite_arrays(dst, change)


def infinite_intercept(dst: Path) -> None:
    def change(a):
        a["intercept"] = a["intercept"].copy()
        a["intercept"][0] = np.inf
    _rewrite_arrays(dst, change)


def huge_coefficient(dst: Path) -> None:
    def change(a):
        a["coef"] = a["coef"].copy()
        a["coef"][0, 0] = 1e300
    _rewrite_arrays(dst, change)


def token_pattern(dst: Path) -> None:
    """A pattern with catastrophic backtracking."""
    _rewrite_meta(dst, lambda m: m["vectorizer"].update(token_pattern=r"(?u)(\w+\s?)+$"))


def input_filename(dst: Path) -> None:
    """TfidfVectorizer(input="filename") would open the file each document names."""
    _rewrite_meta(dst, lambda m: m["vectorizer"].update(input="filename"))


def reversed_ngram_range(dst: Path) -> None:
    _rewrite_meta(dst, lambda m: m["vectorizer"].update(ngram_range=[2, 1]))


def _threshold_text(literal: str):
    def change(meta):
        tag = meta["tags"][0]
        meta["thresholds"][tag] = 0.123456789
        return json.dumps(meta).replace("0.123456789", literal)
    return change


def nan_threshold(dst: Path) -> None:
    _rewrite_meta(dst, _threshold_text("NaN"))


def infinite_threshold(dst: Path) -> None:
    _rewrite_meta(dst, _threshold_text("1e400"))


def huge_integer_threshold(dst: Path) -> None:
    _rewrite_meta(dst, _threshold_text("1" + "0" * 400))


def out_of_range_threshold(dst: Path) -> None:
    _rewrite_meta(dst, _threshold_text("-0.5"))


def huge_keyword_window(dst: Path) -> None:
    _rewrite_meta(dst, lambda m: m["settings"].update(keyword_window=10**12))


def settings_of_the_wrong_type(dst: Path) -> None:
    _rewrite_meta(dst, lambda m: m.update(settings="C=10"))


def setting_of_the_wrong_type(dst: Path) -> None:
    _rewrite_meta(dst, lambda m: m["settings"].update(C="lots"))


def unknown_key(dst: Path) -> None:
    _rewrite_meta(dst, lambda m: m.update(loader="os.system"))


def deeply_nested(dst: Path) -> None:
    def change(meta):
        meta["cv"] = "NEST"
        return json.dumps(meta).replace('"NEST"', "[" * 100_000 + "]" * 100_000)
    _rewrite_meta(dst, change)


def oversized_metadata(dst: Path) -> None:
    _rewrite_meta(dst, lambda m: m.update(command="x" * (20 * 2**20)))


def extra_file(dst: Path) -> None:
    (dst / "model.pkl").write_bytes(b"\x80\x04K\x01.")


HOSTILE = {f.__name__: f for f in (
    zip_bomb, forged_header, huge_vocabulary, pickle_in_coef, extra_member, truncated_arrays,
    nan_coefficient, infinite_intercept, huge_coefficient, token_pattern, input_filename,
    reversed_ngram_range, nan_threshold, infinite_threshold, huge_integer_threshold,
    out_of_range_threshold, huge_keyword_window, settings_of_the_wrong_type,
    setting_of_the_wrong_type, unknown_key, deeply_nested, oversized_metadata, extra_file)}


def build(name: str, base: Path, dst: Path) -> Path:
    """A copy of the valid model ``base`` at ``dst``, made hostile in the way ``name`` says."""
    shutil.copytree(base, dst)
    HOSTILE[name](dst)
    return dst
