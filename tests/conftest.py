"""Shared fixtures. The reference corpus is read from ../shared, never copied into the repo."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# How long a browser test waits for a page to change: generous, as a CI machine under load
# (2 cores, the whole suite beside it) has taken over 10 s to answer a fetch.
PATIENCE = 30
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "ukraine-2022.jsonl"
REFERENCE_LABELS = REPO / "labels" / "reference-train.csv"
SCHEMA = REPO / "labels" / "tags.toml"
SEEDS = REPO / "seeds"
SHIPPED_MODEL = REPO / "models" / "ukraine-war"
TAGS = ["missile_strikes", "air_defence_aid", "escalation_rhetoric", "energy_attacks"]


def kill_9_after_parts(cmd: list, parts: Path, at_least: int = 3) -> int:
    """Run ``cmd`` (a `tagger tag`) and kill -9 it, workers and all, once ``parts`` holds
    ``at_least`` committed chunks; how many it holds then."""
    proc = subprocess.Popen(cmd, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(parts.glob("*.done"))) < at_least:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return len(list(parts.glob("*.done")))


def _need_corpus():
    if not CORPUS.is_file():
        pytest.fail(f"the reference corpus is expected at {CORPUS}: put the project's shared "
                    "data beside the repo as ../shared (or run the fast tier: "
                    "pytest -n auto -m 'not corpus and not browser and not dask and not slow')")


# Tests using these fixtures need ../shared: they are marked `corpus` automatically.
CORPUS_FIXTURES = {"corpus_path", "reference_labels", "labelled_jsonl", "small_model_dir",
                   "shared_dir"}


# Modules whose every test is slow: not even imported when the slow tests are left out
# (importing Hypothesis alone costs the fast tier a second).
SLOW_MODULES = {"test_fuzz.py", "test_kernel_fuzz.py"}


def pytest_ignore_collect(collection_path, config):
    if collection_path.name in SLOW_MODULES and "not slow" in (config.getoption("markexpr") or ""):
        return True
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        names = set(item.fixturenames)
        if names & CORPUS_FIXTURES:
            item.add_marker(pytest.mark.corpus)
        if "browser" in names:
            item.add_marker(pytest.mark.browser)
        if "dask_cluster" in names or "dask" in item.name:
            item.add_marker(pytest.mark.dask)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared: the labelling guide, the corpora and their labels."""
    _need_corpus()
    return SHARED


@pytest.fixture(scope="session")
def corpus_path() -> Path:
    _need_corpus()
    return CORPUS


@pytest.fixture(scope="session")
def reference_labels() -> dict[str, list[str]]:
    import csv

    with REFERENCE_LABELS.open(encoding="utf-8") as fh:
        return {r["id"]: [t for t in r["tags"].split(";") if t] for r in csv.DictReader(fh)}


@pytest.fixture(scope="session")
def labelled_jsonl(tmp_path_factory, corpus_path, reference_labels) -> Path:
    """The labelled reference articles as JSONL with a 'tags' list (in a temp dir only)."""
    out = tmp_path_factory.mktemp("data") / "labelled.jsonl"
    with corpus_path.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for line in src:
            doc = json.loads(line)
            if doc["id"] in reference_labels:
                doc["tags"] = reference_labels[doc["id"]]
                dst.write(json.dumps(doc) + "\n")
    return out


SMALL_MODEL_TRAIN = 300  # labelled articles the small model learns from; the other 150 score it


@pytest.fixture(scope="session")
def small_model_dir(tmp_path_factory, labelled_jsonl) -> Path:
    """A quick unigram model trained through the CLI on the first 300 labelled articles
    (so evaluating it on all 450 scores the 150 it never saw)."""
    from click.testing import CliRunner

    from tagger.cli import main

    first = tmp_path_factory.mktemp("data") / "labelled-first.jsonl"
    first.write_text("".join(labelled_jsonl.read_text(encoding="utf-8").splitlines(keepends=True)
                             [:SMALL_MODEL_TRAIN]), encoding="utf-8")
    out = tmp_path_factory.mktemp("models") / "small"
    result = CliRunner().invoke(main, ["train", "--data", str(first), "--tags", str(SCHEMA),
                                       "--model", str(out), "--ngram-max", "1", "--folds", "3", "--no-search"])
    assert result.exit_code == 0, result.output
    return out


def reference_keyword_counts(texts, lists, window):
    """Keyword mentions in context, counted the slow, obvious way (to check tagger.text.keywords.Lexicon).

    ``lists``: [{"keywords": [...], "context": [...]}]. A mention counts when a context word
    is within ``window`` words before its first word or after its last, or always when the
    list has no context words.
    """
    import re

    word = re.compile(r"(?u)\b\w\w+\b")
    out = []
    for text in texts:
        tokens = word.findall(text.lower())
        row = []
        for lst in lists:
            context = {t for w in lst["context"] for t in word.findall(w.lower())}
            at = [i for i, t in enumerate(tokens) if t in context]
            n = 0
            for phrase in lst["keywords"]:
                p = word.findall(phrase.lower())
                for i in range(len(tokens) - len(p) + 1):
                    if tokens[i:i + len(p)] == p and (
                            not context or any(i - window <= c <= i + len(p) - 1 + window for c in at)):
                        n += 1
            row.append(n)
        out.append(row)
    return out


FIXTURES = REPO / "tests" / "fixtures"
FIXTURE_ARTICLES = FIXTURES / "articles.jsonl"
FIXTURE_LABELS = FIXTURES / "labels.csv"


def fixture_texts() -> list[str]:
    """The fixture articles' texts, each with its title first, as the model reads them."""
    with FIXTURE_ARTICLES.open(encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    return [f"{r['title']}\n{r['text']}" if r.get("title") else r["text"] for r in records]


FIXTURE_EVIDENCE = FIXTURES / "evidence.jsonl"
TRAIN_FIXTURE = ["train", "--data", str(FIXTURE_ARTICLES), "--labels", str(FIXTURE_LABELS),
                 "--tags", str(SCHEMA), "--folds", "3", "--no-search", "--quiet"]


@pytest.fixture(scope="session")
def fixture_docs():
    """The fixture corpus with its labels, as documents."""
    from tagger import attach_labels, read_documents

    return attach_labels(read_documents([FIXTURE_ARTICLES]), [FIXTURE_LABELS], known_tags=TAGS)


@pytest.fixture(scope="session")
def fixture_model(tmp_path_factory) -> Path:
    """A model trained on the small synthetic fixture corpus (no ../shared needed)."""
    from click.testing import CliRunner

    from tagger.cli import main

    out = tmp_path_factory.mktemp("fixture-model") / "m"
    result = CliRunner().invoke(main, [*TRAIN_FIXTURE, "--model", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def sentence_model(tmp_path_factory) -> Path:
    """A model trained with sentence scorers on the fixture corpus and its evidence."""
    from click.testing import CliRunner

    from tagger.cli import main

    out = tmp_path_factory.mktemp("sentence-model") / "m"
    result = CliRunner().invoke(main, [*TRAIN_FIXTURE, "--labels", str(FIXTURE_EVIDENCE),
                                       "--sentences", "--folds", "2", "--model", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.fail("headless Chromium is needed: apt-get install chromium chromium-driver "
                    "(.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)
