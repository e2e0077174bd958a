import json
import pickle

import numpy as np
import pytest

from conftest import SCHEMA, SEEDS, TAGS, reference_keyword_counts
from tagger import Settings, load_model, read_documents, save_model, train
from tagger.errors import OutputError
from tagger.errors import ModelError
from tagger.io.records import Document
from tagger.labels.tagschema import TagSchema, load_schema
from tagger.model.persist import ARRAYS_FILE, META_FILE


@pytest.fixture(scope="module")
def labelled_docs(fixture_docs):
    return fixture_docs


@pytest.fixture(scope="module")
def quick(labelled_docs):
    return train(labelled_docs, schema=load_schema(SCHEMA), settings=Settings(ngram_max=1, folds=3), search=None)


def test_same_data_and_settings_give_byte_identical_model_files(labelled_docs, tmp_path):
    for name in ("a", "b"):
        model = train(labelled_docs, schema=load_schema(SCHEMA), settings=Settings(ngram_max=1, folds=3), search=None)
        save_model(model, tmp_path / name)
    for f in (META_FILE, ARRAYS_FILE):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


def test_thresholds_are_per_tag_and_chosen_by_cross_validation(quick):
    assert quick.tags == TAGS
    assert quick.thresholds.shape == (4,)
    assert len(set(np.round(quick.thresholds, 6))) > 1  # not one global cut-off
    cv = quick.metadata["cv"]
    assert cv["folds"] == 3 and 0.6 < cv["micro"]["f1"] <= 1.0
    assert set(cv["per_tag"]) == set(TAGS)


def test_model_probabilities_are_the_pipeline_logits_after_platt_scaling(labelled_docs, quick):
    import scipy.sparse as sp

    from tagger.labels.attach import binarize
    from tagger.model.train import make_classifier, make_vectorizer

    texts = [d.content for d in labelled_docs]
    # TF-IDF from scikit-learn, keyword features counted the obvious way, one classifier
    assert len(quick.keywords) == 4
    K = np.log1p(np.array(reference_keyword_counts(texts, quick.keywords, quick.settings.keyword_window)))
    vec = make_vectorizer(quick.settings).fit(texts)
    clf = make_classifier(quick.settings).fit(sp.hstack([vec.transform(texts), K], format="csr"),
                                              binarize(labelled_docs, TAGS))
    X40 = sp.hstack([vec.transform(texts[:40]), K[:40]], format="csr")
    logits = np.column_stack([e.decision_function(X40) for e in clf.estimators_])
    calib = quick.metadata["calibration"]
    a = np.array([calib[t]["a"] for t in TAGS])
    b = np.array([calib[t]["b"] for t in TAGS])
    expected = 1 / (1 + np.exp(-(a * logits + b)))
    np.testing.assert_allclose(quick.predict_proba(texts[:40]), expected, rtol=1e-9, atol=1e-12)
    assert (a > 0).all()  # calibration never reverses the order of scores


def test_platt_scaling_fixes_overconfident_scores():
    from tagger.evaluation.calibration import expected_calibration_error
    from tagger.model.platt import calibrate, fit_calibration

    rng = np.random.default_rng(0)
    logits = rng.normal(0, 4, size=(4000, 1))
    truth = (rng.random((4000, 1)) < 1 / (1 + np.exp(-logits / 3))).astype(int)  # 3x overconfident
    raw = 1 / (1 + np.exp(-logits))
    params = fit_calibration(truth, logits)
    fixed = calibrate(logits, params)
    assert params[0, 0] == pytest.approx(1 / 3, abs=0.05)
    assert expected_calibration_error(truth[:, 0], raw[:, 0]) > 0.1
    assert expected_calibration_error(truth[:, 0], fixed[:, 0]) < 0.03


def test_search_keeps_the_best_cross_validated_setting(labelled_docs):
    model = train(labelled_docs, schema=load_schema(SCHEMA), settings=Settings(folds=3),
                  search={"C": (1.0, 30.0), "ngram_max": (1,)})
    tried = model.metadata["search"]
    assert [t["settings"]["C"] for t in tried] == [1.0, 30.0]
    best = max(tried, key=lambda t: (t["micro_f1"], t["macro_f1"]))
    assert model.settings.C == best["settings"]["C"]
    assert model.metadata["cv"]["micro"]["f1"] == best["micro_f1"]


def test_the_search_grid_is_parameter_grids_names_sorted_the_last_fastest():
    from tagger.config import DEFAULT_SEARCH
    from tagger.model.train import search_grid

    grid = search_grid(Settings(seed=7), {"ngram_max": (2, 1), "C": (30.0, 10.0)})
    assert [(s.C, s.ngram_max) for s in grid] == [(30.0, 2), (30.0, 1), (10.0, 2), (10.0, 1)]
    assert {s.seed for s in grid} == {7} and search_grid(Settings(), None) == [Settings()]
    full = search_grid(Settings(), DEFAULT_SEARCH)  # ties go to the first: the order is the model's
    assert len(full) == 48 and len(set(full)) == 48
    assert [(s.C, s.keyword_window, s.ngram_max, s.sentences) for s in full[:3]] == \
        [(10.0, 0, 1, False), (10.0, 0, 1, True), (10.0, 0, 2, False)]
    with pytest.raises(ValueError, match="non-empty"):
        search_grid(Settings(), {"C": ()})


def test_threshold_falls_back_when_a_tag_has_too_little_evidence():
    from tagger.model.thresholds import choose_thresholds

    y = np.zeros((200, 1), dtype=int)
    y[5] = 1
    scores = np.linspace(0.9, 0.0, 200)[:, None]  # the lone positive ranks sixth
    assert choose_thresholds(y, scores, min_f1=0.5)[0] == 0.5
    assert choose_thresholds(y, scores, min_f1=0.0)[0] < 0.9


def test_saved_model_predicts_like_the_trained_one(quick, tmp_path):
    save_model(quick, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    seeds = read_documents([SEEDS])
    assert [p.to_dict() for p in loaded.predict(seeds)] == [p.to_dict() for p in quick.predict(seeds)]
    meta = json.loads((tmp_path / "m" / META_FILE).read_text())
    for key in ("tags", "thresholds", "settings", "versions", "training_data", "cv", "command"):
        assert key in meta
    assert meta["training_data"].startswith("sha256:")
    assert meta["versions"]["scikit-learn"]


def test_loading_never_unpickles(quick, tmp_path, monkeypatch):
    save_model(quick, tmp_path / "m")

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used while loading a model")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    model = load_model(tmp_path / "m")
    assert model.predict([Document(id="x", text="Missiles struck Kyiv")])[0].id == "x"


def test_model_directory_carrying_a_pickle_is_refused(quick, tmp_path):
    save_model(quick, tmp_path / "m")
    (tmp_path / "m" / "model.pkl").write_bytes(pickle.dumps({"evil": True}))
    with pytest.raises(ModelError, match="refusing to load.*model.pkl"):
        load_model(tmp_path / "m")


def test_arrays_holding_pickled_objects_are_refused(quick, tmp_path):
    save_model(quick, tmp_path / "m")
    arrays = dict(np.load(tmp_path / "m" / ARRAYS_FILE))
    arrays["coef"] = np.array([object()], dtype=object)
    np.savez(tmp_path / "m" / ARRAYS_FILE, **arrays)
    with pytest.raises(ModelError, match="pickled objects; refusing"):
        load_model(tmp_path / "m")


@pytest.mark.parametrize("damage", ["truncate_arrays", "garbage_json", "missing_arrays", "other_format"])
def test_corrupt_model_directories_are_clear_errors(quick, tmp_path, damage):
    d = save_model(quick, tmp_path / "m")
    if damage == "truncate_arrays":
        data = (d / ARRAYS_FILE).read_bytes()
        (d / ARRAYS_FILE).write_bytes(data[: len(data) // 2])
    elif damage == "garbage_json":
        (d / META_FILE).write_text("{not json")
    elif damage == "missing_arrays":
        (d / ARRAYS_FILE).unlink()
    else:
        (d / META_FILE).write_text('{"format": "something-else"}')
    with pytest.raises(ModelError):
        load_model(d)


def test_missing_model_directory_is_an_error(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_model(tmp_path / "none")


def test_failed_save_keeps_the_old_model_and_leaves_nothing_behind(quick, tmp_path, monkeypatch):
    import tagger.model.persist as persist

    d = save_model(quick, tmp_path / "m")
    before = {f.name: f.read_bytes() for f in d.iterdir()}

    def broken(path, arrays):
        path.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persist, "write_npz", broken)
    with pytest.raises(OutputError, match="cannot be written .No space left on device.; the model"):
        save_model(quick, d)
    assert {f.name: f.read_bytes() for f in d.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_tag_without_positive_or_negative_examples_says_what_to_label():
    from tagger.labels.tagschema import TagSchema

    docs = [Document(id=str(i), text=f"text {i} missile", tags=("a",) if i % 2 else ("b",))
            for i in range(10)]
    with pytest.raises(ModelError, match="tag 'c' has no positive examples.*label some documents"):
        train(docs, schema=TagSchema.from_ids(["a", "b", "c"]))
    docs = [Document(id=str(i), text=f"text {i} missile", tags=("a",) if i % 2 else ("a", "b"))
            for i in range(10)]
    with pytest.raises(ModelError, match="tag 'a' has no negative examples.*without 'a'"):
        train(docs, schema=TagSchema.from_ids(["a", "b"]))


def test_without_a_schema_the_tags_are_those_seen_in_the_labels(labelled_docs):
    subset = [d for d in labelled_docs][:200]
    model = train(subset, settings=Settings(ngram_max=1, folds=3), search=None)
    assert model.tags == sorted(TAGS)


def test_keyword_features_are_saved_with_the_model_and_can_be_left_out(labelled_docs, quick, tmp_path):
    assert quick.n_features == quick.n_terms + 4
    assert [k["tag"] for k in quick.keywords] == TAGS
    loaded = load_model(save_model(quick, tmp_path / "m"))
    assert loaded.keywords == quick.keywords
    texts = [d.content for d in labelled_docs[:50]]
    assert np.array_equal(loaded.predict_proba(texts), quick.predict_proba(texts))
    off = train(labelled_docs, schema=load_schema(SCHEMA),
                settings=Settings(ngram_max=1, folds=3, keyword_window=0), search=None)
    assert off.keywords == [] and off.n_features == off.n_terms


def test_search_over_keyword_window_only_when_the_schema_has_keywords(labelled_docs):
    search = {"C": (30.0,), "ngram_max": (1,), "keyword_window": (0, 15)}
    with_kw = train(labelled_docs, schema=load_schema(SCHEMA), settings=Settings(folds=3), search=search)
    assert [t["settings"]["keyword_window"] for t in with_kw.metadata["search"]] == [0, 15]
    without = train(labelled_docs, schema=TagSchema.from_ids(TAGS), settings=Settings(folds=3),
                    search=search)
    assert len(without.metadata["search"]) == 1 and without.keywords == []


@pytest.mark.parametrize("damage, message", [
    ("unknown_tag", "a keyword list names a tag the model does not have"),
    ("not_strings", r"Expected `str`, got `int` - at `\$.keywords\[0\].keywords\[0\]`"),
    ("no_word", "has no word of two or more"),
    ("dropped", r"coef has shape \(4, \d+\), but the model.s tags and vocabulary make it"),
])
def test_corrupt_keyword_lists_are_refused(quick, tmp_path, damage, message):
    d = save_model(quick, tmp_path / "m")
    meta = json.loads((d / META_FILE).read_text())
    if damage == "unknown_tag":
        meta["keywords"][0]["tag"] = "nope"
    elif damage == "not_strings":
        meta["keywords"][0]["keywords"] = [1, 2]
    elif damage == "no_word":
        meta["keywords"][0]["keywords"] = ["!"]
    else:
        meta["keywords"] = meta["keywords"][1:]
    (d / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=message):
        load_model(d)
