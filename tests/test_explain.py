"""`tagger explain`: the exact decomposition of each tag's logit, its spans and sentences."""

import json
import math
import re

import pytest
from click.testing import CliRunner

from conftest import FIXTURE_ARTICLES, TAGS
from tagger.cli import main

WORD = re.compile(r"(?u)\b\w\w+\b")


def invoke(*args):
    result = CliRunner().invoke(main, ["explain", *args])
    return result


def articles():
    return {d["id"]: d for d in map(json.loads, FIXTURE_ARTICLES.read_text().splitlines())}


@pytest.mark.parametrize("which", ["fixture_model", "sentence_model"])
def test_contributions_sum_to_the_logit_whose_sigmoid_predict_reports(which, request):
    model = str(request.getfixturevalue(which))
    docs = articles()
    predicted = json.loads(CliRunner().invoke(main, ["predict", "--model", model, "--format", "json",
                                                     str(FIXTURE_ARTICLES)]).output)
    for p in predicted[:4]:
        result = invoke("--model", model, str(FIXTURE_ARTICLES), "--id", p["id"], "--format", "json")
        assert result.exit_code == 0, result.output
        e = json.loads(result.output)
        assert e["id"] == p["id"] and set(e["tags"]) == set(TAGS)
        doc = docs[p["id"]]
        for tag, x in e["tags"].items():
            total = x["intercept"] + sum(c["value"] for c in x["contributions"])
            assert abs(total - x["logit"]) <= 1e-9
            assert 1 / (1 + math.exp(-x["logit"])) == pytest.approx(x["probability"], abs=1e-12)
            assert x["probability"] == pytest.approx(p["scores"][tag], abs=1e-6)
            assert x["assigned"] == (tag in p["tags"])
            kinds = {c["kind"] for c in x["contributions"]}
            assert "ngram" in kinds
            for c in x["contributions"]:
                if c["kind"] != "ngram":
                    continue
                assert c["spans"]
                for span in c["spans"]:
                    source = {"title": doc["title"][span["start"]:span["end"]],
                              "title+text": doc["title"][span["start"]:] + "\n" + doc["text"][:span["end"]],
                              None: doc["text"][span["start"]:span["end"]]}[span.get("field")]
                    assert " ".join(WORD.findall(source.lower())) == c["feature"]
            scores = [s["score"] for s in x["sentences"]]
            assert scores == sorted(scores, reverse=True)
            for s in x["sentences"]:
                source = doc["title"] if s.get("field") == "title" else doc["text"]
                assert source[s["start"]:s["end"]] == s["text"]


def test_sentence_features_are_explained_as_contributions(sentence_model):
    e = json.loads(invoke("--model", str(sentence_model), str(FIXTURE_ARTICLES), "--id", "fx007",
                          "--format", "json").output)
    kinds = {c["kind"] for c in e["tags"]["escalation_rhetoric"]["contributions"]}
    assert "sentence" in kinds
    best = e["tags"]["escalation_rhetoric"]["sentences"][0]["text"]
    assert best == "State television warned that sending long-range missiles would cross a red line."


def test_text_view_names_the_verdict_and_why_not(sentence_model):
    result = invoke("--model", str(sentence_model), str(FIXTURE_ARTICLES), "--id", "fx007")
    assert result.exit_code == 0
    assert "escalation_rhetoric: " in result.output and "(given)" in result.output
    assert "\x1b[" not in result.output  # no terminal codes when not printing to one
    every = invoke("--model", str(sentence_model), str(FIXTURE_ARTICLES), "--id", "fx007",
                   *[a for t in TAGS for a in ("--tag", t)])
    assert all(f"{t}: " in every.output for t in TAGS)


@pytest.mark.parametrize("args, message", [
    (["--tag", "nope"], "the model has no tag 'nope'"),
    ([], "holds 48 documents; choose one with --id"),
    (["--id", "missing"], "no document with id 'missing'"),
])
def test_mistakes_are_one_line_errors(fixture_model, args, message):
    result = invoke("--model", str(fixture_model), str(FIXTURE_ARTICLES),
                    *(["--id", "fx001"] if args and args[0] == "--tag" else []), *args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_html_view_is_one_page_with_the_article_escaped(sentence_model, tmp_path):
    hostile = tmp_path / "hostile.txt"
    hostile.write_text("Moscow threatened to use nuclear weapons if its territory were attacked. "
                       "<script>alert(1)</script> <img src=x onerror=alert(2)> Grain exports rose.")
    out = tmp_path / "why.html"
    result = invoke("--model", str(sentence_model), str(hostile), "--format", "html", "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page and "<img" not in page
    assert "http://" not in page and "https://" not in page


def test_html_view_highlights_the_evidence_in_chromium(sentence_model, browser, tmp_path):
    from selenium.webdriver.common.by import By

    out = tmp_path / "why.html"
    assert invoke("--model", str(sentence_model), str(FIXTURE_ARTICLES), "--id", "fx007",
                  "--format", "html", "--out", str(out)).exit_code == 0
    browser.set_window_size(1200, 900)
    browser.get(out.as_uri())
    section = browser.find_element(By.CSS_SELECTOR, "#tag-escalation_rhetoric")
    best = section.find_element(By.CSS_SELECTOR, ".text .sentence.best")
    assert best.text == "State television warned that sending long-range missiles would cross a red line."
    assert best.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"
    marks = section.find_elements(By.CSS_SELECTOR, ".text mark.pos")
    assert marks and all(m.size["width"] > 0 for m in marks)
    shot = tmp_path / "explain.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
