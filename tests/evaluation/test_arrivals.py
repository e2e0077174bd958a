"""New articles as they arrive: dates kept, scores by period, training documents left out of
scores, a drift warning, daily increments of an archive, the model's summary and card."""

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import FIXTURE_ARTICLES, FIXTURE_LABELS, REPO, SCHEMA, TAGS
from tagger.cli import main
from tagger.io.records import iso_date
from tagger.model.drift import UNSEEN_RATIO, DriftCounts, binomial_p


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result, *parts):
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    for part in parts:
        assert part in lines[0], lines[0]


def _records():
    return [json.loads(line) for line in FIXTURE_ARTICLES.read_text().splitlines()]


def dated_records():
    """The fixture articles, each with a date (2022 for even numbers, 2023 for odd, months
    in turn) and one of two outlets."""
    out = []
    for i, r in enumerate(_records()):
        year = 2022 + i % 2
        out.append({**r, "date": f"{year}-{1 + (i // 2) % 12:02d}-15", "source": "AB"[i % 3 == 0]})
    return out


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    """The dated fixture corpus, and a model trained on its first 32 articles only."""
    d = tmp_path_factory.mktemp("dated")
    records = dated_records()
    everything = write_jsonl(d / "all.jsonl", records)
    first = write_jsonl(d / "first.jsonl", records[:32])
    labels = d / "labels.csv"
    rows = FIXTURE_LABELS.read_text().splitlines()
    labels.write_text("\n".join(rows[:33]) + "\n")  # the header and the first 32
    result = run("train", "--data", first, "--labels", labels, "--tags", SCHEMA, "--folds", "3",
                 "--no-search", "--quiet", "--model", d / "model")
    assert result.exit_code == 0, result.output
    return {"dir": d, "all": everything, "model": d / "model", "records": records}


# ---- dates ----

@pytest.mark.parametrize("value, expected", [
    ("2024-03-01", "2024-03-01"), ("2024-03-01T08:30:00Z", "2024-03-01"),
    (dt.date(2023, 5, 6), "2023-05-06"), (dt.datetime(2023, 5, 6, 7, 8), "2023-05-06"),
    ("March 1, 2024", ""), ("2024-13-01", ""), ("", ""), (None, ""), (20240301, ""),
])
def test_a_date_is_kept_when_it_reads_as_iso_8601(value, expected):
    assert iso_date(value) == expected


def test_parquet_timestamps_are_dates_too(tmp_path):
    import pandas as pd

    from tagger import read_documents

    path = tmp_path / "a.parquet"
    pd.DataFrame({"id": ["a", "b"], "text": ["one text here", "another text"],
                  "date": pd.to_datetime(["2024-07-01 10:00", None])}).to_parquet(path)
    assert [d.date for d in read_documents([path])] == ["2024-07-01", ""]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_each_document_s_date_goes_into_tag_outputs(dated, tmp_path, fmt):
    import pandas as pd

    out = tmp_path / f"tags.{fmt}"
    assert run("tag", dated["all"], "--out", out, "-m", dated["model"]).exit_code == 0
    frame = {"jsonl": lambda p: pd.DataFrame([json.loads(x) for x in p.read_text().splitlines()]),
             "csv": lambda p: pd.read_csv(p, dtype={"date": str}),
             "parquet": pd.read_parquet}[fmt](out)
    dates = [str(d) for d in frame["date"]]  # Parquet's are dates, the others' text
    assert dates == [r["date"] for r in dated["records"]]
    assert list(frame.columns[:6]) == ["id", "date", "title", "source", "url", "model"]


def test_predict_shows_the_date_of_documents_that_have_one(dated, tmp_path):
    undated = tmp_path / "plain.txt"
    undated.write_text("A short article with no date at all, about the weather in town.")
    result = run("predict", dated["all"], undated, "-m", dated["model"], "--format", "json")
    rows = json.loads(result.output)
    assert rows[0]["date"] == "2022-01-15" and rows[-1]["date"] is None
    table = run("predict", dated["all"], "-m", dated["model"]).output.splitlines()
    assert table[0].split()[:3] == ["id", "date", "tags"] and "2023-01-15" in table[2]


def test_the_model_records_the_date_range_of_its_training_documents(dated):
    meta = json.loads((dated["model"] / "model.json").read_text())
    first32 = sorted(r["date"] for r in dated["records"][:32])
    assert meta["date_range"] == {"first": first32[0], "last": first32[-1], "dated": 32,
                                  "undated": 0, "by_year": {"2022": 16, "2023": 16}}
    assert meta["sources"] == {"A": 21, "B": 11}
    info = run("info", "-m", dated["model"]).output
    assert f"dated {first32[0]} to {first32[-1]} (2022: 16, 2023: 16)" in info


# ---- scores by period, training documents left out ----

def test_evaluate_leaves_out_the_documents_the_model_was_trained_on(dated):
    result = run("evaluate", "-m", dated["model"], "--data", dated["all"], "--labels", FIXTURE_LABELS)
    assert result.exit_code == 0, result.output
    assert ("32 of the 48 labelled documents were in the model's training data: left out "
            "(--include-training scores them too)") in result.output
    assert "\n16 labelled documents" in result.output
    both = run("evaluate", "-m", dated["model"], "--data", dated["all"], "--labels", FIXTURE_LABELS,
               "--include-training")
    assert "\n48 labelled documents" in both.output and "overstate" in both.output


def test_a_training_document_under_another_id_is_still_a_training_document(dated, tmp_path):
    records = [{**r, "id": f"copy-{r['id']}"} for r in dated["records"]]
    data = write_jsonl(tmp_path / "copies.jsonl", records)
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(["id,tags"] + [f"copy-{line}" for line in
                                               FIXTURE_LABELS.read_text().splitlines()[1:]]) + "\n")
    result = run("evaluate", "-m", dated["model"], "--data", data, "--labels", labels)
    assert "32 of the 48 labelled documents were in the model's training data" in result.output


def test_scoring_only_training_documents_is_refused_with_the_way_out(dated, tmp_path):
    first = write_jsonl(tmp_path / "first.jsonl", dated["records"][:32])
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(FIXTURE_LABELS.read_text().splitlines()[:33]) + "\n")
    result = run("evaluate", "-m", dated["model"], "--data", first, "--labels", labels)
    one_line_error(result, "all 32 labelled documents given were in the model's training data",
                   "--include-training")


def test_evaluate_by_year_prints_one_row_per_year_with_intervals(dated, tmp_path):
    out = tmp_path / "s.json"
    result = run("evaluate", "-m", dated["model"], "--data", dated["all"], "--labels", FIXTURE_LABELS,
                 "--by", "year", "--json", out)
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if line[:4] in ("2022", "2023")]
    assert [r[:2] for r in rows] == [["2022", "8"], ["2023", "8"]]
    by = json.loads(out.read_text())["by"]
    assert list(by) == ["2022", "2023"]
    for key, m in by.items():
        assert set(m) == {"n_docs", "micro", "macro", "per_tag"} and set(m["per_tag"]) == set(TAGS)
        lo, hi = m["micro"]["f1_ci95"]
        assert lo <= m["micro"]["f1"] <= hi


@pytest.mark.parametrize("by", ["quarter", "source"])
def test_evaluate_slices_by_quarter_and_by_source(dated, tmp_path, by):
    scored = dated["records"][32:]  # those the model was not trained on
    if by == "quarter":
        keys = sorted({f"{r['date'][:4]}-Q{(int(r['date'][5:7]) - 1) // 3 + 1}" for r in scored})
    else:
        keys = sorted({r["source"] for r in scored})
    out = tmp_path / "s.json"
    run("evaluate", "-m", dated["model"], "--data", dated["all"], "--labels", FIXTURE_LABELS,
        "--by", by, "--json", out)
    summary = json.loads(out.read_text())
    assert list(summary["by"]) == keys and summary["by_kind"] == by
    assert sum(m["n_docs"] for m in summary["by"].values()) == summary["n_docs"] == 16


def test_undated_documents_form_their_own_slice_last():
    from tagger.evaluation.slices import by_slice
    from tagger.evaluation.results import Evaluation

    Y = np.array([[1], [0], [1]])
    ev = Evaluation(tags=["a"], ids=["x", "y", "z"], titles=["", "", ""], Y=Y, proba=Y * 0.9,
                    P=Y, thresholds=np.array([0.5]), dates=["", "2024-02-01", "2023-12-31"],
                    outlets=["", "", ""], n_boot=50)
    assert list(by_slice(ev, "month")) == ["2023-12", "2024-02", "undated"]


# ---- drift ----

def test_tag_writes_the_drift_figures_beside_the_output(dated, tmp_path):
    out = tmp_path / "tags.jsonl"
    result = run("tag", dated["all"], "--out", out, "-m", dated["model"])
    report = json.loads((tmp_path / "tags.jsonl.drift.json").read_text())
    assert report["documents"] == 48 and report["available"] and report["warning"] is False
    assert report["reasons"] == ["48 documents are too few to judge drift (at least 100)"]
    assert set(report["tag_rates"]) == set(TAGS)
    assert "unseen words" in result.output and "tags.jsonl.drift.json" in result.output


def _gibberish(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    letters = np.array(list("bcdfghjklmnpqrstvwz"))
    out = []
    for i in range(n):
        words = ["".join(rng.choice(letters, 7)) for _ in range(60)]
        out.append({"id": f"g{i}", "text": "The " + " ".join(words) + "."})
    return out


def test_the_drift_warning_fires_for_articles_unlike_the_training_ones(dated, tmp_path):
    new = write_jsonl(tmp_path / "new.jsonl", _gibberish(150))
    out = tmp_path / "tags.csv"
    result = run("tag", new, "--out", out, "-m", dated["model"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "tags.csv.drift.json").read_text())
    assert report["warning"] is True and report["unseen_ratio"] >= UNSEEN_RATIO
    assert report["reasons"][0].endswith(f"(training documents {report['training_unseen_share']:.1%})")
    warning = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "tagger suggest" in warning[0]
    # predict on as many documents warns the same way
    assert "warning: new documents drift" in run("predict", new, "-m", dated["model"]).output


def test_no_warning_for_articles_like_the_training_ones(dated, tmp_path):
    # the fixture articles again and again, under new ids: nothing new in them
    records = [{**r, "id": f"{r['id']}-{k}"} for k in range(3) for r in dated["records"]]
    new = write_jsonl(tmp_path / "again.jsonl", records)
    result = run("tag", new, "--out", tmp_path / "t.jsonl", "-m", dated["model"])
    report = json.loads((tmp_path / "t.jsonl.drift.json").read_text())
    assert report["documents"] == 144 and report["warning"] is False, report
    assert "warning:" not in result.output


def test_drift_counts_add_up_to_those_of_the_whole_input(dated):
    from tagger import load_model, read_documents

    model = load_model(dated["model"])
    docs = read_documents([dated["all"]])
    whole, a, b = DriftCounts(), DriftCounts(), DriftCounts()
    model.predict(docs, drift=whole)
    model.predict(docs[:20], drift=a)
    model.predict(docs[20:], drift=b)
    assert a.merge(b) == whole and whole.documents == 48 and whole.tokens > whole.unseen > 0
    assert whole.given == [int(sum(t in p.tags for p in model.predict(docs))) for t in model.tags]


# ---- daily increments ----

def test_incremental_tags_only_documents_not_yet_in_the_archive(dated, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_jsonl(inbox / "day1.jsonl", dated["records"][:20])
    archive = tmp_path / "archive.jsonl"
    assert run("tag", "--incremental", inbox, "--out", archive, "-m", dated["model"]).exit_code == 0
    write_jsonl(inbox / "day2.jsonl", dated["records"][15:40])  # five seen yesterday
    result = run("tag", "--incremental", inbox, "--out", archive, "-m", dated["model"])
    # day1 again (20) and the five of day2 seen yesterday are left out, not tagged twice
    assert "20 documents tagged" in result.output and "25 already in the archive" in result.output
    ids = [json.loads(line)["id"] for line in archive.read_text().splitlines()]
    assert ids == [r["id"] for r in dated["records"][:40]]
    stamp = archive.stat().st_mtime_ns
    result = run("tag", "--incremental", inbox, "--out", archive, "-m", dated["model"])
    assert "0 documents tagged" in result.output and archive.stat().st_mtime_ns == stamp


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_incremental_adds_to_csv_and_parquet_archives(dated, tmp_path, fmt):
    import pandas as pd

    a = write_jsonl(tmp_path / "a.jsonl", dated["records"][:10])
    b = write_jsonl(tmp_path / "b.jsonl", dated["records"][5:30])
    archive = tmp_path / f"archive.{fmt}"
    assert run("tag", "--incremental", a, "--out", archive, "-m", dated["model"]).exit_code == 0
    # a again, and b, which repeats five of a: only b's 20 new documents are added
    result = run("tag", "--incremental", a, b, "--out", archive, "-m", dated["model"])
    assert result.exit_code == 0 and "15 already in the archive" in result.output
    frame = pd.read_csv(archive) if fmt == "csv" else pd.read_parquet(archive)
    assert list(frame["id"]) == [r["id"] for r in dated["records"][:30]]


def test_an_archive_with_other_columns_is_refused_and_left_alone(dated, tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", dated["records"][:10])
    archive = tmp_path / "archive.csv"
    assert run("tag", "--incremental", a, "--out", archive, "-m", dated["model"],
               "--keep", "lang").exit_code == 0
    before = archive.read_bytes()
    one_line_error(run("tag", "--incremental", a, "--out", archive, "-m", dated["model"]),
                   f"{archive}, line 1: has other columns than this run writes (it has lang, "
                   "this run does not)")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "scores": {"other": 0.5}}\n')
    one_line_error(run("tag", "--incremental", a, "--out", bad, "-m", dated["model"]),
                   f"{bad}, line 1: is in the record layout of an earlier tagger")
    assert archive.read_bytes() == before


# ---- a readable model ----

def test_info_prints_a_summary_and_json_prints_the_metadata(dated):
    text = run("info", "-m", dated["model"]).output
    for part in ("trained on 32 labelled documents", "threshold  CV F1  95% interval",
                 "micro avg", "settings: C=", "rebuild: tagger train", "drift baseline:",
                 f"card: {dated['model'] / 'README.md'}"):
        assert part in text, part
    for tag in TAGS:
        assert tag in text
    raw = json.loads(run("info", "-m", dated["model"], "--json").output)
    assert raw == json.loads((dated["model"] / "model.json").read_text())


def test_the_model_card_follows_hugging_face_conventions(dated, tmp_path):
    card = (dated["model"] / "README.md").read_text()  # written by train
    assert card.startswith("---\nlanguage: en\nlibrary_name: tagger\n")
    for heading in ("## Intended use", "## Tags", "## Training data", "## Scores", "## Limits",
                    "## How to rebuild"):
        assert heading in card
    assert "Missile strikes" in card and "Long-range strikes by either side" in card
    meta = json.loads((dated["model"] / "model.json").read_text())
    lo, hi = meta["cv"]["micro"]["f1_ci95"]
    assert f"[{lo:.3f}, {hi:.3f}]" in card
    assert meta["date_range"]["first"] in card and meta["command"] in card
    out = tmp_path / "card.md"
    assert run("card", "-m", dated["model"], "--out", out, "--name", "Fixture model").exit_code == 0
    assert "# Fixture model" in out.read_text()


def test_the_loader_accepts_the_card_and_still_refuses_anything_else(dated, tmp_path):
    from tagger import load_model
    from tagger.errors import ModelError

    model = tmp_path / "m"
    shutil.copytree(dated["model"], model)
    (model / "README.md").unlink()
    assert run("card", "-m", model).output.strip() == f"model card -> {model / 'README.md'}"
    load_model(model)
    (model / "notes.txt").write_text("hello")
    with pytest.raises(ModelError, match="unexpected files"):
        load_model(model)
    (model / "notes.txt").unlink()
    (model / "README.md").write_text("x" * (2**20 + 1))
    with pytest.raises(ModelError, match="over the cap"):
        load_model(model)
    (model / "README.md").unlink()
    (model / "README.md").symlink_to(FIXTURE_LABELS)
    with pytest.raises(ModelError, match="not a regular file"):
        load_model(model)


# ---- on the corpora in ../shared ----

NEWS = "news-2023-2025.jsonl"


def _slice_2022(shared_dir, out: Path, n: int = 300) -> Path:
    """n articles drawn at random (seeded) from the 2022 corpus's unlabelled ones: a slice
    of the year, not of its first weeks (before the invasion, a different news mix)."""
    from conftest import REFERENCE_LABELS

    labelled = {line.split(",")[0] for line in REFERENCE_LABELS.read_text().splitlines()[1:]}
    rows = [line for line in (shared_dir / "corpus" / "ukraine-2022.jsonl").read_text().splitlines()
            if json.loads(line)["id"] not in labelled]
    pick = np.sort(np.random.default_rng(0).choice(len(rows), n, replace=False))
    out.write_text("\n".join(rows[i] for i in pick) + "\n")
    return out


def test_the_drift_warning_fires_for_new_news_against_the_shipped_model(shared_dir, tmp_path):
    out = tmp_path / "news.jsonl"
    result = run("tag", shared_dir / "corpus" / NEWS, "--out", out)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "news.jsonl.drift.json").read_text())
    assert report["documents"] == 259 and report["warning"] is True
    assert report["unseen_ratio"] >= UNSEEN_RATIO
    assert sum(line.startswith("warning: new documents drift") for line in result.output.splitlines()) == 1


def test_no_drift_warning_for_held_out_2022_articles(small_model_dir, shared_dir, tmp_path):
    # the small model learnt from 300 labelled 2022 articles; these 300 others it never saw
    held = _slice_2022(shared_dir, tmp_path / "held.jsonl")
    result = run("tag", held, "--out", tmp_path / "held-tags.jsonl", "-m", small_model_dir)
    report = json.loads((tmp_path / "held-tags.jsonl.drift.json").read_text())
    assert report["documents"] == 300 and report["warning"] is False, report["reasons"]
    assert "warning:" not in result.output
    # its tag rates come from out-of-fold scores of its labels: shown, never warned on
    assert report["tag_rates_compared"] is False


def test_evaluate_by_year_on_2022_and_2023_2025_labels_prints_one_row_per_year(
        small_model_dir, shared_dir, tmp_path):
    from conftest import REFERENCE_LABELS

    out = tmp_path / "s.json"
    result = run("evaluate", "-m", small_model_dir, "--data", shared_dir / "corpus" / "ukraine-2022.jsonl",
                 "--data", shared_dir / "corpus" / "economist-2023-2025.jsonl",
                 "--labels", REFERENCE_LABELS, "--labels",
                 REPO / "labels" / "economist-random.csv",
                 "--by", "year", "--json", out)
    assert result.exit_code == 0, result.output
    years = [line.split()[0] for line in result.output.splitlines()
             if line[:4].isdigit() and line[4:5] == " "]
    assert years == ["2022", "2023", "2024", "2025"]
    summary = json.loads(out.read_text())
    assert summary["by"]["2022"]["n_docs"] == 150  # the 300 it learnt from are left out
    assert sum(m["n_docs"] for m in summary["by"].values()) == 150 + 120
    assert "300 of the 570 labelled documents were in the model's training data" in result.output


def test_the_tag_rate_test_is_the_exact_binomial_test():
    from scipy.stats import binomtest

    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 2000))
        k, p = int(rng.integers(0, n + 1)), float(rng.uniform(0.001, 0.6))
        assert binomial_p(k, n, p) == pytest.approx(binomtest(k, n, p).pvalue, abs=1e-5)
    # beyond the exact range, the normal approximation
    assert binomial_p(10_100_000, 20_000_000, 0.5) == pytest.approx(
        binomtest(10_100_000, 20_000_000, 0.5).pvalue, abs=1e-4)


@pytest.mark.slow  # renders plots: 3 s
def test_the_report_plots_f1_over_time_and_counts_each_tag_s_errors(dated, tmp_path):
    page = tmp_path / "report.html"
    result = run("evaluate", "-m", dated["model"], "--data", dated["all"], "--labels", FIXTURE_LABELS,
                 "--by", "quarter", "--report", page, "--json", tmp_path / "s.json")
    assert result.exit_code == 0, result.output
    html = page.read_text()
    for heading in ("Missed and wrongly added, per tag", "F1 over time", "Scores by quarter"):
        assert f"<h2>{heading}</h2>" in html
    assert html.count('src="data:image/png;base64,') == 4  # curves, calibration, outcomes, time
    assert "32 of the 48 labelled documents given were in the model's training data" in html
    summary = json.loads((tmp_path / "s.json").read_text())
    rows = html.split('<table id="outcomes">')[1].split("</table>")[0].split("<tr>")[2:]
    for row, tag in zip(rows, TAGS):  # given rightly, missed, wrongly added, rightly left out
        cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
        m = summary["per_tag"][tag]
        correct, missed, added = (int(c) for c in cells[1:4])
        assert cells[0] == tag and correct + missed == m["support"]
        assert m["recall"] == pytest.approx(correct / max(correct + missed, 1), abs=1e-3)


@pytest.mark.slow  # cross-validates and renders plots: 2 s
def test_a_cross_validation_report_says_its_thresholds_are_medians(tmp_path):
    page = tmp_path / "cv.html"
    result = run("evaluate", "--cv", "3", "--data", FIXTURE_ARTICLES, "--labels", FIXTURE_LABELS,
                 "--tags", SCHEMA, "--no-search", "--folds", "2", "--report", page, "-q")
    assert result.exit_code == 0, result.output
    assert "<th>threshold (median of 3 folds)</th>" in page.read_text()


@pytest.mark.parametrize("name, change, message", [
    ("training_words", lambda a: a[::-1].copy(), "not sorted and distinct"),
    ("training_hashes", lambda a: a[:-1].copy(), "training_hashes has shape"),
])
def test_the_hash_arrays_are_checked_like_every_other(dated, tmp_path, name, change, message):
    from tagger import load_model
    from tagger.errors import ModelError
    from tagger.model.arrays import write_npz

    model = tmp_path / "m"
    shutil.copytree(dated["model"], model)
    with np.load(model / "arrays.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays[name] = change(arrays[name])
    write_npz(model / "arrays.npz", arrays)
    with pytest.raises(ModelError, match=message):
        load_model(model)


def test_an_unknown_slicing_is_refused_before_any_work(dated):
    from tagger import TaggerError, load_model, read_documents
    from tagger.evaluation.crossval import cross_validation
    from tagger.evaluation.results import evaluation

    docs = read_documents([dated["all"]])
    for call in (lambda: evaluation(load_model(dated["model"]), docs, by="week"),
                 lambda: cross_validation(docs, by="week")):
        with pytest.raises(TaggerError, match="unknown slicing 'week' \\(use year, quarter, month, source\\)"):
            call()


def test_the_card_train_writes_is_the_card_of_the_saved_model(dated, tmp_path):
    # model.json's keys are sorted: the card must not take its order from them
    out = tmp_path / "again.md"
    assert run("card", "-m", dated["model"], "--out", out).exit_code == 0
    assert out.read_text() == (dated["model"] / "README.md").read_text()
