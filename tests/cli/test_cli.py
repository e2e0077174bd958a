import csv
import io
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REFERENCE_LABELS, REPO, SCHEMA, SEEDS, SHIPPED_MODEL, TAGS
from tagger.cli import main

SEED_004 = str(SEEDS / "004_40f943de2ae17bec.txt")


def run(*args, env=None, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, input=input)


def assert_one_line_error(result, *fragments):
    assert result.exit_code in (1, 2), result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.mark.slow  # a whole tagger process
def test_predict_seed_with_the_shipped_model_finds_missile_strikes():
    result = run("predict", SEED_004, "--format", "json", env={"TAGGER_MODEL": ""})
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert row["id"] == "004_40f943de2ae17bec"
    assert row["missile_strikes"] is True and row["model"]
    assert all(0 <= row[f"{t}_score"] <= 1 for t in TAGS)


@pytest.mark.slow  # a whole tagger process
def test_installed_console_script_runs():
    exe = Path(sys.executable).parent / "tagger"
    out = subprocess.run([str(exe), "predict", SEED_004], capture_output=True, text=True, check=True)
    assert "missile_strikes" in out.stdout


def test_predict_formats_are_parseable():
    as_json = json.loads(run("predict", SEEDS, "-f", "json").output)
    assert [r["id"] for r in as_json] == sorted(p.stem for p in SEEDS.glob("*.txt"))
    jsonl = [json.loads(line) for line in run("predict", SEEDS, "-f", "jsonl").output.splitlines()]
    assert jsonl == as_json
    rows = list(csv.DictReader(io.StringIO(run("predict", SEEDS, "-f", "csv").output)))
    assert [r["id"] for r in rows] == [r["id"] for r in as_json]
    assert [rows[0][t] == "true" for t in TAGS] == [as_json[0][t] for t in TAGS]
    assert float(rows[0]["missile_strikes_score"]) == pytest.approx(as_json[0]["missile_strikes_score"], abs=1e-6)
    table = run("predict", SEEDS).output.splitlines()
    assert table[0].split()[:2] == ["id", "tags"] and len(table) == 4


def test_predict_reads_stdin():
    text = (SEEDS / "004_40f943de2ae17bec.txt").read_text()
    result = run("predict", "-", "-f", "json", input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["id"] == "stdin"
    assert json.loads(result.output)[0]["missile_strikes"] is True


def test_model_comes_from_tagger_model_env(small_model_dir, tmp_path):
    result = run("predict", SEED_004, "-f", "json", env={"TAGGER_MODEL": str(small_model_dir)})
    mine = json.loads(result.output)[0]
    shipped = json.loads(run("predict", SEED_004, "-f", "json", env={"TAGGER_MODEL": ""}).output)[0]
    assert [mine[f"{t}_score"] for t in TAGS] != [shipped[f"{t}_score"] for t in TAGS]
    assert mine["model"] != shipped["model"]
    missing = run("predict", SEED_004, env={"TAGGER_MODEL": str(tmp_path / "gone")})
    assert_one_line_error(missing, "gone", "does not exist")


def test_train_then_evaluate_writes_the_json_report(small_model_dir, labelled_jsonl, tmp_path):
    out = tmp_path / "scores.json"
    result = run("evaluate", "--model", small_model_dir, "--data", labelled_jsonl, "--json", out)
    assert result.exit_code == 0, result.output
    assert "micro avg" in result.output and "escalation_rhetoric" in result.output
    report = json.loads(out.read_text())
    # the 300 it learnt from are left out, and the user told so
    assert report["n_docs"] == 150
    assert report["training_documents"] == {"recorded": True, "given": 450, "in_training": 300,
                                            "left_out": True}
    assert "300 of the 450 labelled documents were in the model's training data: left out" in result.output
    for avg in ("micro", "macro"):
        assert {"precision", "recall", "f1"} <= set(report[avg])
        lo, hi = report[avg]["f1_ci95"]
        assert lo <= report[avg]["f1"] <= hi
    assert set(report["per_tag"]) == set(TAGS)
    assert 0.5 < report["micro"]["f1"] < 0.95  # on articles it never saw
    both = run("evaluate", "--model", small_model_dir, "--data", labelled_jsonl, "--json", out,
               "--include-training")
    report = json.loads(out.read_text())
    assert report["n_docs"] == 450 and "overstate" in both.output
    assert sum(m["support"] for m in report["per_tag"].values()) == 434  # tag assignments in the labels


def test_evaluate_ignores_unlabelled_documents(small_model_dir, corpus_path, tmp_path):
    out = tmp_path / "s.json"
    result = run("evaluate", "-m", small_model_dir, "--data", corpus_path, "--labels", REFERENCE_LABELS,
                 "--tags", SCHEMA, "--json", out)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["n_docs"] == 150  # 450 labelled, 300 of them its training data


def test_evaluate_cross_validation_needs_no_model(labelled_jsonl, tmp_path):
    out = tmp_path / "cv.json"
    result = run("evaluate", "--cv", "3", "--data", labelled_jsonl, "--tags", SCHEMA,
                 "--ngram-max", "1", "--folds", "3", "--json", out)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["cv_folds"] == 3 and report["n_docs"] == 450
    assert 0.6 < report["micro"]["f1"] < 0.95


def test_the_shipped_model_records_the_manual_command_that_rebuilds_it():
    """The manual's page on training gives that command, and the test of its examples runs it
    and compares what it builds with the shipped model (tests/test_docs.py)."""
    meta = json.loads((SHIPPED_MODEL / "model.json").read_text())
    page = (REPO / "docs" / "training.md").read_text(encoding="utf-8")
    page = " ".join(page.replace("\\\n", " ").split())
    recorded = shlex.split(meta["command"])
    assert recorded[:2] == ["tagger", "train"] and recorded[-2:] == ["--model", "models/ukraine-war"]
    # The manual rebuilds into a new directory so the shipped files stay untouched.
    assert shlex.join(recorded[:-1] + ["rebuilt"]) in page
    assert meta["n_train_docs"] == 693 and meta["settings"]["sentences"]


# ---- bad input: one line, non-zero exit, nothing half-written ----

@pytest.fixture
def bad_files(tmp_path):
    files = {
        "empty": tmp_path / "empty.txt",
        "binary": tmp_path / "binary.txt",
        "jsonl": tmp_path / "broken.jsonl",
        "csv": tmp_path / "notext.csv",
    }
    files["empty"].write_bytes(b"")
    files["binary"].write_bytes(bytes(range(256)) * 8)
    files["jsonl"].write_text('{"id": "a", "text": "ok"}\n{"id": "b", "text": "cut\n')
    files["csv"].write_text("id,body\n1,hello\n")
    return files


@pytest.mark.parametrize("kind, fragment", [
    ("empty", "empty.txt: is empty"),
    ("binary", "binary.txt: is a binary file"),
    ("jsonl", "broken.jsonl, line 2: malformed JSON"),
    ("csv", "notext.csv: has no 'text' column"),
])
def test_bad_documents_give_one_line_errors(bad_files, kind, fragment):
    assert_one_line_error(run("predict", bad_files[kind]), fragment)


def test_missing_path_gives_one_line_error(tmp_path):
    assert_one_line_error(run("predict", tmp_path / "nowhere.txt"), "nowhere.txt: does not exist")


def test_unknown_tag_fails_training_without_writing_a_model(labelled_jsonl, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("id,tags\n00d45ea5e430,escalation_rhetoric\n01139e729bfb,tanks\n")
    model = tmp_path / "model"
    result = run("train", "--data", labelled_jsonl, "--labels", labels, "--tags", SCHEMA, "--model", model)
    assert_one_line_error(result, "labels.csv, line 3: unknown tag 'tanks'")
    assert not model.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["labels.csv"]


def test_corrupt_model_gives_one_line_error_and_no_output_file(small_model_dir, labelled_jsonl, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(small_model_dir, broken)
    (broken / "arrays.npz").write_bytes(b"PK\x03\x04 not really a zip")
    assert_one_line_error(run("predict", "-m", broken, SEED_004), "arrays.npz: corrupt model arrays")
    out = tmp_path / "scores.json"
    assert_one_line_error(run("evaluate", "-m", broken, "--data", labelled_jsonl, "--json", out), "corrupt")
    assert not out.exists()


def test_help_lists_every_command():
    result = run("--help")
    for command in ("train", "evaluate", "predict", "info"):
        assert command in result.output


def test_a_tags_toml_beside_the_labels_is_the_default_schema(labelled_jsonl, tmp_path):
    import shutil

    from conftest import REFERENCE_LABELS, SCHEMA

    labels = tmp_path / "labels"
    labels.mkdir()
    shutil.copy(REFERENCE_LABELS, labels / "train.csv")
    args = ["train", "--data", labelled_jsonl, "--labels", labels / "train.csv", "--no-search",
            "--ngram-max", "1", "--folds", "3"]
    result = run(*args, "--model", tmp_path / "plain")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "plain" / "model.json").read_text())["keywords"] == []
    shutil.copy(SCHEMA, labels / "tags.toml")
    result = run(*args, "--model", tmp_path / "with")
    assert result.exit_code == 0, result.output
    assert f"tag schema: {labels / 'tags.toml'}" in result.output
    meta = json.loads((tmp_path / "with" / "model.json").read_text())
    assert [k["tag"] for k in meta["keywords"]] == TAGS
    assert f"--tags {labels / 'tags.toml'}" in meta["command"]


LAZY_PROBE = """
import importlib, json, pkgutil, sys
import tagger.cli
from tagger.cli.commands import LAZY_COMMANDS, main
first = sorted(m for m in sys.modules if m.startswith("tagger.cli."))
where = {}
for info in sorted(pkgutil.iter_modules(tagger.cli.__path__)):
    before = set(main.commands)
    importlib.import_module(f"tagger.cli.{info.name}")
    where.update({name: info.name for name in set(main.commands) - before})
print(json.dumps([first, where, LAZY_COMMANDS]))
"""


def test_every_command_beside_main_is_declared_where_it_lives_and_imported_only_to_run():
    """`tagger --help` lists a command only if LAZY_COMMANDS names it (or it is defined with
    main): each module's commands are declared with that module, and none is imported
    before its command runs."""
    out = subprocess.run([sys.executable, "-c", LAZY_PROBE], capture_output=True, text=True,
                         check=True, cwd=REPO)
    first, where, lazy = json.loads(out.stdout)
    assert first == ["tagger.cli.commands", "tagger.cli.options"]
    assert {n: m for n, m in where.items() if m != "commands"} == lazy
    listed = CliRunner().invoke(main, ["--help"]).output
    assert all(f"  {name} " in listed for name in lazy)
