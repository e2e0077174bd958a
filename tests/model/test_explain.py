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
            assert x["probability"] == pytest.approx(p[f"{tag}_score"], abs=1e-6)
            assert x["assigned"] == p[tag]
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


def explained(model, doc_id, *extra):
    result = invoke("--model", str(model), str(FIXTURE_ARTICLES), "--id", doc_id, "--format", "json",
                    *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("which", ["fixture_model", "sentence_model"])
def test_words_gather_their_ngram_keyword_and_sentence_parts_and_sum_to_the_logit(which, request):
    model = str(request.getfixturevalue(which))
    predicted = json.loads(CliRunner().invoke(main, ["predict", "--model", model, "--format", "json",
                                                     str(FIXTURE_ARTICLES)]).output)
    seen_parts = set()
    for p in predicted[:8]:
        e = explained(model, p["id"])
        for tag, x in e["tags"].items():
            total = x["intercept"] + sum(g["value"] for g in x["groups"])
            assert abs(total - x["logit"]) <= 1e-9
            assert 1 / (1 + math.exp(-total)) == pytest.approx(p[f"{tag}_score"], abs=1e-6)
            # each kind of feature is shared out whole among the words behind it
            for kind in ("ngram", "keyword", "sentence"):
                given = sum(c["value"] for c in x["contributions"] if c["kind"] == kind)
                shared = sum(g["parts"].get(kind, 0.0) for g in x["groups"])
                assert shared == pytest.approx(given, abs=1e-9)
            for g in x["groups"]:
                assert g["value"] == pytest.approx(sum(g["parts"].values()), abs=1e-12)
                seen_parts.update(g["parts"])
            # the keyword shares are the keyword occurrences' and name them
            assert sum(k["value"] for k in x["keywords"]) == pytest.approx(
                sum(g["parts"].get("keyword", 0.0) for g in x["groups"]), abs=1e-9)
    assert {"ngram", "keyword"} <= seen_parts
    if which == "sentence_model":
        assert "sentence" in seen_parts


def test_keywords_named_are_the_ones_counted_with_their_context(fixture_model):
    from conftest import reference_keyword_counts
    from tagger.model.persist import load_model

    model = load_model(fixture_model)
    docs = articles()
    checked = 0
    for doc_id in list(docs)[:12]:
        doc = docs[doc_id]
        e = explained(fixture_model, doc_id)
        content = f"{doc['title']}\n{doc['text']}" if doc.get("title") else doc["text"]
        expected = reference_keyword_counts([content], model.keywords, model.settings.keyword_window)[0]
        for lst, n in zip(model.keywords, expected):
            assert sum(k["list"] == lst["tag"] for k in e["keywords"]) == n
        for k in e["keywords"]:
            source = doc["title"] if k.get("field") == "title" else doc["text"]
            assert " ".join(WORD.findall(source[k["start"]:k["end"]].lower())) == k["keyword"]
            context = {w for c in next(x for x in model.keywords if x["tag"] == k["list"])["context"]
                       for w in WORD.findall(c.lower())}
            assert set(k["context"]) <= context and (k["context"] or not context)
            checked += 1
    assert checked


def test_a_keyword_that_raised_a_tag_is_not_shown_lowering_it(sentence_model):
    e = explained(sentence_model, "fx007")
    x = e["tags"]["escalation_rhetoric"]
    words = {g["feature"]: g for g in x["groups"]}
    raised = [k for k in x["keywords"] if k["value"] > 0 and k["list"] == "escalation_rhetoric"]
    assert raised
    for k in raised:
        assert words[k["keyword"]]["value"] > 0
        assert k["start"] in [s["start"] for s in words[k["keyword"]]["spans"]]


def test_every_tag_is_listed_with_its_score_and_threshold(sentence_model, tmp_path):
    text = invoke("--model", str(sentence_model), str(FIXTURE_ARTICLES), "--id", "fx007").output
    e = explained(sentence_model, "fx007")
    for tag, x in e["tags"].items():
        assert re.search(rf"^{tag} +{x['probability']:.3f} +{x['threshold']:.3f} ", text, re.M)
    out = tmp_path / "why.html"
    assert invoke("--model", str(sentence_model), str(FIXTURE_ARTICLES), "--id", "fx007",
                  "--format", "html", "--out", str(out)).exit_code == 0
    page = out.read_text()
    for tag, x in e["tags"].items():
        assert f'id="tag-{tag}"' in page and f"{x['threshold']:.3f}" in page
        opened = re.search(rf'<details class="tag" id="tag-{tag}"( open)?>', page).group(1)
        assert bool(opened) == (x["assigned"] or x["why_not"])


def test_sentence_parts_are_split_from_the_scores_the_model_gave_its_best_sentences():
    """The rescale rule needs the scorer's own logit of each best sentence: with cue
    features (the shipped model has them), that is the n-grams' terms plus the cues'."""
    from conftest import SEEDS, SHIPPED_MODEL
    from tagger.model.explain import _best_sentences
    from tagger.model.persist import load_model

    model = load_model(SHIPPED_MODEL)
    assert model.n_sentence_cues
    text = (SEEDS / "000_2c1dc2b1a7e2b655.txt").read_text(encoding="utf-8")
    analysis = model.analyse([text])
    best = _best_sentences(model, analysis)
    sentences, scores, which = analysis.evidence
    assert best
    for t, (_, cols, z_terms, b) in best.items():
        assert math.isclose(1 / (1 + math.exp(-(b + z_terms.sum()))), scores[which[0, t], t],
                            rel_tol=1e-9)
    assert any((cols >= model.n_terms).any() for _, cols, _, _ in best.values())
