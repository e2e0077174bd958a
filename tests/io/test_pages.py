"""Saved web pages as documents (trafilatura), on pages we write ourselves."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import SHIPPED_MODEL
from tagger import read_documents
from tagger.cli import main
from tagger.errors import InputError

PARAGRAPHS = [
    "Russian cruise missiles struck a thermal power plant near Kyiv overnight, cutting "
    "electricity to thousands of homes, officials said on Friday.",
    "Ukraine's air force said it shot down most of the missiles, but several hit the plant "
    "and a substation. Repair crews were working to restore power across the region.",
    "The energy ministry said it was the largest attack on the grid in months.",
]
TITLE = "Missiles hit Kyiv power plant"
ARTICLE = f"""<!doctype html><html><head><meta charset="utf-8"><title>{TITLE} | Example News</title>
<meta property="article:published_time" content="2024-03-22T08:00:00Z"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<article><h1>{TITLE}</h1>{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}</article>
<section class="comments"><h3>Comments</h3><p>Great article!! Subscribe to my channel</p></section>
<footer>Example News 2024. All rights reserved.</footer></body></html>"""
NO_ARTICLE = """<!doctype html><html><head><title>Example News</title></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<div class="cookie-banner">We use cookies. Accept all cookies?</div></body></html>"""


def test_a_page_gives_its_article_title_and_date_without_the_boilerplate(tmp_path):
    (tmp_path / "kyiv-strike.html").write_text(ARTICLE, encoding="utf-8")
    (doc,) = read_documents([tmp_path / "kyiv-strike.html"])
    assert doc.id == "kyiv-strike" and doc.title == TITLE and doc.date == "2024-03-22"
    assert doc.text.split("\n") == PARAGRAPHS
    for boilerplate in ("cookies", "Subscribe", "All rights reserved", "Home", "Comments"):
        assert boilerplate not in doc.content


def test_a_page_gives_the_same_tags_as_its_plain_text(tmp_path):
    (tmp_path / "page.html").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "plain.txt").write_text("\n".join([TITLE, *PARAGRAPHS]), encoding="utf-8")
    result = CliRunner().invoke(main, ["predict", "--model", str(SHIPPED_MODEL), str(tmp_path / "page.html"),
                                       str(tmp_path / "plain.txt"), "--format", "json"])
    assert result.exit_code == 0, result.output
    page, plain = json.loads(result.output)
    scores = [c for c in page if c.endswith("_score")]
    assert [page[c[:-6]] for c in scores] == [plain[c[:-6]] for c in scores]
    assert page["missile_strikes"] is True
    assert [page[c] for c in scores] == [plain[c] for c in scores]


def test_a_page_in_a_declared_legacy_encoding_is_decoded(tmp_path):
    text = "Zelensky\u2019s caf\u00e9 speech: \u201cwe need air defence\u201d, he said in Kyiv."
    html = ARTICLE.replace('charset="utf-8"', 'charset="windows-1252"').replace(PARAGRAPHS[2], text)
    (tmp_path / "legacy.htm").write_bytes(html.encode("windows-1252"))
    (doc,) = read_documents([tmp_path / "legacy.htm"])
    assert doc.text.split("\n")[-1] == text


def test_a_page_with_no_article_is_a_bad_document_with_a_reason(tmp_path):
    pages = tmp_path / "saved"
    pages.mkdir()
    (pages / "index.html").write_text(NO_ARTICLE, encoding="utf-8")
    with pytest.raises(InputError, match="index.html: is a web page with no article text"):
        read_documents([pages / "index.html"])
    (pages / "kyiv.html").write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "tags.jsonl"
    result = CliRunner().invoke(main, ["tag", str(pages), "--out", str(out), "--model",
                                       str(SHIPPED_MODEL)])
    assert result.exit_code == 3, result.output
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["kyiv"]
    (skipped,) = [json.loads(line) for line in (tmp_path / "tags.jsonl.errors.jsonl").read_text().splitlines()]
    assert "no article text" in skipped["reason"]


def test_a_saved_page_tags_as_its_plain_text_and_its_date_shows_in_tag_output(tmp_path):
    pages = tmp_path / "saved"
    pages.mkdir()
    (pages / "page.html").write_text(ARTICLE, encoding="utf-8")
    (pages / "plain.txt").write_text("\n".join([TITLE, *PARAGRAPHS]), encoding="utf-8")
    out = tmp_path / "tags.csv"
    result = CliRunner().invoke(main, ["tag", str(pages), "--out", str(out), "--model",
                                       str(SHIPPED_MODEL)])
    assert result.exit_code == 0, result.output
    import csv

    page, plain = csv.DictReader(out.open(encoding="utf-8"))
    assert (page["id"], page["date"], plain["date"]) == ("page", "2024-03-22", "")
    given = [c[:-6] for c in page if c.endswith("_score")]
    assert [page[t] for t in given] == [plain[t] for t in given]
    assert page["missile_strikes"] == "true"
