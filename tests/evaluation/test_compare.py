"""Is the new model better (`evaluate --against`), and held-out scores in the card (`card --eval`)."""

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import FIXTURE_ARTICLES, FIXTURE_LABELS, SCHEMA, TAGS
from tagger.cli import main
from tagger.model.bootstrap import paired_differences
from tagger.model.metrics import f1_from_counts


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result, *parts):
    assert result.exit_code != 0 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    for part in parts:
        assert part in lines[0], lines[0]


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    """The fixture articles, dated, and two models trained with different settings on
    overlapping parts of them: "old" on articles 0-23, "new" on 12-35 (articles 36-47
    are neither's)."""
    d = tmp_path_factory.mktemp("two")
    records = [json.loads(line) for line in FIXTURE_ARTICLES.read_text().splitlines()]
    for i, r in enumerate(records):
        r["date"] = f"{2022 + i % 3}-{1 + i % 12:02d}-10"
    everything = d / "all.jsonl"
    everything.write_text("".join(json.dumps(r) + "\n" for r in records))
    rows = FIXTURE_LABELS.read_text().splitlines()
    for name, part, extra in (("old", slice(0, 24), ["--C", "10", "--ngram-max", "1"]),
                              ("new", slice(12, 36), ["--C", "100", "--ngram-max", "2"])):
        (d / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records[part]))
        (d / f"{name}.csv").write_text("\n".join([rows[0], *rows[1:][part]]) + "\n")
        result = run("train", "--data", d / f"{name}.jsonl", "--labels", d / f"{name}.csv",
                     "--tags", SCHEMA, "--folds", "3", "--no-search", "--quiet", *extra,
                     "--model", d / name)
        assert result.exit_code == 0, result.output
    return {"dir": d, "all": everything, "records": records, "old": d / "old", "new": d / "new"}


def brute_force_difference(Y, A, B, n_boot, seed):
    """The paired bootstrap the obvious way: resample indices, score both on each."""
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(Y), np.full(len(Y), 1 / len(Y)), size=n_boot)
    diffs = []
    for c in counts:
        idx = np.repeat(np.arange(len(Y)), c)
        y, a, b = Y[idx], A[idx], B[idx]

        def micro(p):
            return f1_from_counts((y * p).sum(), ((1 - y) * p).sum(), (y * (1 - p)).sum())

        diffs.append(micro(a) - micro(b))
    return np.percentile(diffs, [2.5, 97.5])


def test_paired_differences_are_the_bootstrap_of_the_difference():
    rng = np.random.default_rng(3)
    Y = rng.integers(0, 2, (60, 3))
    old = np.where(rng.random((60, 3)) < 0.3, 1 - Y, Y)
    new = np.where(rng.random((60, 3)) < 0.15, 1 - Y, Y)
    d = paired_differences(Y, new, old, list("abc"), n_boot=300, seed=5)
    lo, hi = brute_force_difference(Y, new, old, 300, 5)
    assert d["micro_f1"]["ci95"] == [round(lo, 4), round(hi, 4)]
    assert d["micro_f1"]["difference"] == pytest.approx(d["micro_f1"]["new"] - d["micro_f1"]["old"], abs=1.5e-4)
    assert d["micro_f1"]["ci95"][0] > 0 and d["micro_f1"]["new_better_share"] > 0.95
    same = paired_differences(Y, old, old, list("abc"), n_boot=300, seed=5)
    for m in [same["micro_f1"], same["macro_f1"], *same["per_tag_f1"].values()]:
        assert m["difference"] == 0 and m["ci95"] == [0, 0] and m["new_better_share"] == 0


def test_against_scores_both_on_documents_neither_was_trained_on(two, tmp_path):
    from tagger import load_model, read_documents, attach_labels
    from tagger.model.metrics import score

    out = tmp_path / "compare.json"
    result = run("evaluate", "--model", two["new"], "--against", two["old"], "--data", two["all"],
                 "--labels", FIXTURE_LABELS, "--json", out)
    assert result.exit_code == 0, result.output
    c = json.loads(out.read_text())
    assert c["n_docs"] == 12 and c["training_documents"] == {"given": 48, "left_out": 36,
                                                             "new": 24, "old": 24}
    assert c["documents"]["data"] == ["all.jsonl"] and c["documents"]["labels"] == ["labels.csv"]
    kept = two["records"][36:]
    assert c["documents"]["dates"]["first"] == min(r["date"] for r in kept)
    assert c["documents"]["dates"]["last"] == max(r["date"] for r in kept)
    # each side is the model's own score on those 12 documents
    docs = attach_labels(read_documents([two["all"]]), [FIXTURE_LABELS], known_tags=TAGS)[36:]
    for side in ("new", "old"):
        model = load_model(two[side])
        expected = score(np.array([[t in d.tags for t in TAGS] for d in docs], dtype=int),
                         model.decide(model.predict_proba([d.content for d in docs])), TAGS)
        assert c[side]["micro"] == expected["micro"] and c[side]["per_tag"] == expected["per_tag"]
        assert c["difference"]["micro_f1"][side] == expected["micro"]["f1"]
    d = c["difference"]
    assert set(d["per_tag_f1"]) == set(TAGS) and d["n_boot"] == 1000
    for m in [d["micro_f1"], d["macro_f1"], *d["per_tag_f1"].values()]:
        assert m["ci95"][0] <= m["ci95"][1]
    text = result.output
    assert "new - old" in text and "micro avg" in text and "macro avg" in text
    assert "12 labelled documents neither model was trained on: all.jsonl with labels labels.csv" in text
    assert "36 of the 48 given were left out" in text


@pytest.mark.parametrize("extra, message", [
    (["--cv", "3"], "it does not take --cv"),
    (["--by", "year"], "it does not take --by"),
    (["--include-training"], "it does not take --include-training"),
])
def test_against_refuses_what_it_cannot_do_in_one_line(two, extra, message):
    one_line_error(run("evaluate", "--model", two["new"], "--against", two["old"], "--data",
                       two["all"], "--labels", FIXTURE_LABELS, *extra), message)


def test_against_with_only_training_documents_is_one_line(two):
    one_line_error(run("evaluate", "--model", two["new"], "--against", two["old"], "--data",
                       two["dir"] / "new.jsonl", "--labels", two["dir"] / "new.csv"),
                   "all 24 labelled documents given were training documents of one model or the other")


def test_card_keeps_held_out_scores_named_by_their_data_and_dates(two, tmp_path):
    from tagger import load_model

    model = tmp_path / "m"
    shutil.copytree(two["old"], model)
    scores = tmp_path / "scores.json"
    assert run("evaluate", "--model", model, "--data", two["all"], "--labels", FIXTURE_LABELS,
               "--json", scores).exit_code == 0
    s = json.loads(scores.read_text())
    assert s["documents"]["data"] == ["all.jsonl"] and s["documents"]["dates"]["first"]
    assert "None recorded" in (model / "README.md").read_text()
    result = run("card", "--model", model, "--eval", scores)
    assert result.exit_code == 0, result.output
    card = (model / "README.md").read_text()
    dates = s["documents"]["dates"]
    assert f"### all.jsonl with labels labels.csv, dated {dates['first']} to {dates['last']}" in card
    lo, hi = s["micro"]["f1_ci95"]
    assert f"| micro avg | {s['micro']['precision']:.3f} | {s['micro']['recall']:.3f} | " \
           f"{s['micro']['f1']:.3f} | [{lo:.3f}, {hi:.3f}] |" in card
    # kept in model.json: a card written again keeps them, and adding them again replaces them
    kept = load_model(model).metadata["held_out"]
    assert len(kept) == 1 and kept[0]["n_docs"] == s["n_docs"] == 24
    (model / "README.md").unlink()
    assert run("card", "--model", model).exit_code == 0
    assert (model / "README.md").read_text() == card
    assert run("card", "--model", model, "--eval", scores).exit_code == 0
    assert len(load_model(model).metadata["held_out"]) == 1
    info = run("info", "--model", model).output
    assert (f"on 24 articles it was not trained on, all.jsonl with labels labels.csv, dated "
            f"{dates['first']} to {dates['last']}: micro-F1 {s['micro']['f1']:.3f} [{lo:.3f}, {hi:.3f}]") in info


def test_card_refuses_scores_that_are_not_this_models_on_new_articles(two, tmp_path):
    model = tmp_path / "m"
    shutil.copytree(two["old"], model)
    before = {p.name: p.read_bytes() for p in model.iterdir()}
    other = tmp_path / "other.json"
    assert run("evaluate", "--model", two["new"], "--data", two["all"], "--labels", FIXTURE_LABELS,
               "--json", other).exit_code == 0
    one_line_error(run("card", "--model", model, "--eval", other), str(other), "scores another model")
    seen = tmp_path / "seen.json"
    assert run("evaluate", "--model", model, "--data", two["all"], "--labels", FIXTURE_LABELS,
               "--include-training", "--json", seen).exit_code == 0
    one_line_error(run("card", "--model", model, "--eval", seen), str(seen),
                   "include 24 of the model's training documents")
    cv = tmp_path / "cv.json"
    assert run("evaluate", "--cv", "3", "--data", two["all"], "--labels", FIXTURE_LABELS,
               "--tags", SCHEMA, "--no-search", "-q", "--json", cv).exit_code == 0
    one_line_error(run("card", "--model", model, "--eval", cv), str(cv), "cross-validation")
    bad = tmp_path / "bad.json"
    scores = json.loads(seen.read_text())
    scores["micro"]["f1"] = 7
    bad.write_text(json.dumps(scores))
    one_line_error(run("card", "--model", model, "--eval", bad), str(bad), "not scores written by tagger")
    bad.write_text("{")
    one_line_error(run("card", "--model", model, "--eval", bad), str(bad), "not valid JSON")
    assert {p.name: p.read_bytes() for p in model.iterdir()} == before  # nothing half-written


def test_model_json_refuses_held_out_scores_out_of_bounds(two, tmp_path):
    from tagger import load_model
    from tagger.errors import ModelError

    model = tmp_path / "m"
    shutil.copytree(two["old"], model)
    meta = json.loads((model / "model.json").read_text())
    entry = {"documents": {"data": ["a.jsonl"], "labels": [], "dates": {"first": "2024-01-01",
                                                                         "last": "2024-02-01"}},
             "n_docs": 3, "micro": {"precision": 1, "recall": 1, "f1": 1},
             "macro": {"precision": 1, "recall": 1, "f1": 1}, "per_tag": {}}
    for bad in ([entry] * 21, [{**entry, "extra": 1}], [{**entry, "n_docs": 0}],
                [{**entry, "micro": {"precision": 1, "recall": 1, "f1": 2}}]):
        (model / "model.json").write_text(json.dumps({**meta, "held_out": bad}))
        with pytest.raises(ModelError, match="not a valid tagger model"):
            load_model(model)
    (model / "model.json").write_text(json.dumps({**meta, "held_out": [entry]}))
    assert load_model(model).metadata["held_out"][0]["n_docs"] == 3
