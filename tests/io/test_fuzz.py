"""Property-based fuzzing of the readers and the model loader (Hypothesis, seeded, bounded).

Whatever the bytes, reading gives documents or an InputError naming the file, lenient
reading never raises, and loading a model gives a working model or a ModelError, within a
memory bound: never a traceback from deep inside, never a hang.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SEEDS, SHIPPED_MODEL
from tagger import load_model, read_documents
from tagger.io.documents import iter_documents_lenient
from tagger.io.records import Skipped
from tagger.errors import InputError, ModelError

FUZZ = settings(derandomize=True, max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
MEMORY_BOUND = 300 * 2**20
pytestmark = pytest.mark.slow  # about 40 s of examples

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
# whole records, mostly plausible: the fields a document has, with values of any kind
records = st.fixed_dictionaries({}, optional={"id": json_values, "text": json_values,
                                              "title": json_values, "tags": json_values})
byte_soup = st.binary(max_size=3000) | st.text(max_size=500).map(
    lambda t: t.encode(["utf-8", "utf-16", "utf-16-le", "utf-32", "latin-1"][len(t) % 5], "replace"))


def _bounded(fn):
    tracemalloc.start()
    try:
        result = fn()
        assert tracemalloc.get_traced_memory()[1] < MEMORY_BOUND
        return result
    finally:
        tracemalloc.stop()


def _read_both_ways(path: Path) -> None:
    try:
        docs = read_documents([path])
        assert all(d.text.strip() or d.title.strip() for d in docs)
    except InputError as exc:
        assert exc.path == str(path) and "\n" not in str(exc)
    items = list(iter_documents_lenient([path]))
    assert all(isinstance(i, Skipped) or i.id for i in items)


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".csv", ".parquet"])
@FUZZ
@given(data=byte_soup)
def test_any_bytes_read_as_documents_or_a_named_error(suffix, data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz{suffix}"
        path.write_bytes(data)
        _bounded(lambda: _read_both_ways(path))


@FUZZ
@given(lines=st.lists(records | json_values, min_size=1, max_size=6))
def test_any_jsonl_records_read_as_documents_or_a_named_error(lines):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in lines))
        _bounded(lambda: _read_both_ways(path))


@FUZZ
@given(rows=st.lists(st.lists(st.text(max_size=30), min_size=0, max_size=4), max_size=6),
       header=st.sampled_from([["id", "text"], ["id", "title", "text", "tags"], ["text"]]))
def test_any_csv_rows_read_as_documents_or_a_named_error(rows, header):
    import csv

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([header, *rows])
        _bounded(lambda: _read_both_ways(path))


# ---- the model loader ----

@pytest.fixture(scope="module")
def valid_meta() -> dict:
    return json.loads((SHIPPED_MODEL / "model.json").read_text())


def _load_and_use(directory: Path) -> None:
    """Load the model; if it loads, it must tag with finite probabilities."""
    try:
        model = load_model(directory)
    except ModelError as exc:
        assert str(directory) in str(exc)
        return
    proba = model.predict_proba([d.content for d in read_documents([SEEDS])])
    assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()


def _paths(value, prefix=()):
    """Every path into a JSON value, so one can be replaced."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            yield from _paths(v, prefix + (i,))


def _replace(meta, path, new):
    if not path:
        return new
    target = meta
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return meta


@FUZZ
@given(data=st.data(), new=json_values)
def test_any_change_to_model_json_loads_a_working_model_or_is_refused(valid_meta, tmp_path, data, new):
    paths = list(_paths(valid_meta))
    where = data.draw(st.sampled_from(paths))
    meta = _replace(json.loads(json.dumps(valid_meta)), where, new)
    directory = tmp_path / "m"
    shutil.rmtree(directory, ignore_errors=True)
    shutil.copytree(SHIPPED_MODEL, directory)
    (directory / "model.json").write_text(json.dumps(meta))
    _bounded(lambda: _load_and_use(directory))


@FUZZ
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                      min_size=1, max_size=8))
def test_any_damage_to_the_arrays_loads_a_working_model_or_is_refused(tmp_path, flips):
    directory = tmp_path / "m"
    shutil.rmtree(directory, ignore_errors=True)
    shutil.copytree(SHIPPED_MODEL, directory)
    data = bytearray((directory / "arrays.npz").read_bytes())
    for where, value in flips:
        data[int(where * len(data))] = value
    (directory / "arrays.npz").write_bytes(bytes(data))
    _bounded(lambda: _load_and_use(directory))
