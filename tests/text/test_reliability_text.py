"""Issue 22, items 5 and 6: a model's or an article's text is made safe for the terminal
and the model card, and saved web pages are parsed under bounds (each test a probe
finding)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import hostile_pages
from conftest import SHIPPED_MODEL
from tagger.cli import main
from tagger.cli.options import handle_errors
from tagger.errors import InputError
from tagger.io.pages import MAX_PAGE_DEPTH, MAX_PAGE_ELEMENTS, page_document
from tagger.text.safe import terminal_safe

OSC52 = "\x1b]52;c;ZXZpbA==\x07"   # write "evil" to the clipboard
OSC0 = "\x1b]0;pwned\x1b\\"        # set the window title
ARTICLE = ("Russian missiles struck Kyiv power stations overnight {} and the air defence shot "
           "down drones. Ukraine asked allies for more Patriot systems as strikes on energy "
           "infrastructure continued across the country.\n")


def _no_escapes(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "52;c;" not in text and "pwned" not in text


def test_terminal_safe_removes_escape_sequences_controls_and_bidi_overrides():
    text = f"a{OSC52}b{OSC0}c\x1b[31mred\x1b[0m\x9b2J\x9d0;t\x9cz\u202eevil\r\nx\x00y\tz"
    assert terminal_safe(text) == "abcredzevil\nxy\tz"
    assert terminal_safe("id\nwith\ttab\r", one_line=True) == "id\\nwith\\ttab\\r"
    assert terminal_safe("an unterminated \x1b]0;title") == "an unterminated "


@pytest.fixture(scope="module")
def planted_model(tmp_path_factory) -> Path:
    """The shipped model with escape sequences, a fence break-out and a javascript: link
    planted in its metadata."""
    dst = tmp_path_factory.mktemp("planted") / "m"
    shutil.copytree(SHIPPED_MODEL, dst)
    meta = json.loads((dst / "model.json").read_text())
    meta["command"] = (f"tagger train x\n```\n<script>alert(1)</script>\n# Owned\n"
                       f"[link](https://evil.example)\n{OSC52}{OSC0}")
    meta["schema"][0]["name"] = f"Strikes{OSC52}"
    meta["schema"][0]["description"] = f"see [click](javascript:alert(1)) {OSC0} <b>now</b>"
    (dst / "model.json").write_text(json.dumps(meta))
    return dst


def test_info_prints_no_escape_sequence_from_a_model(planted_model):
    result = CliRunner().invoke(main, ["info", "--model", str(planted_model)])
    assert result.exit_code == 0, result.output
    assert "rebuild: tagger train x" in result.output
    _no_escapes(result.output)


def test_the_card_fences_the_command_and_drops_script_links(planted_model):
    markdown_it = pytest.importorskip("markdown_it")
    result = CliRunner().invoke(main, ["card", "--model", str(planted_model)])
    assert result.exit_code == 0, result.output
    card = (planted_model / "README.md").read_text()
    _no_escapes(card)
    assert "javascript:" not in card and "<b>" not in card
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(card)
    assert "<script" not in html and "Owned</h1>" not in html
    assert 'href="https://evil.example"' not in html and "javascript" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as code, not run


def test_explain_prints_no_escape_sequence_from_an_article(tmp_path):
    doc = tmp_path / "art.txt"
    doc.write_text(ARTICLE.format(OSC52 + OSC0 + "\x1b[2J"))
    result = CliRunner().invoke(main, ["explain", str(doc), "--model", str(SHIPPED_MODEL)])
    assert result.exit_code == 0, result.output
    assert "Russian missiles struck" in result.output
    _no_escapes(result.output)


def test_explain_html_escapes_an_articles_markup(tmp_path):
    doc = tmp_path / "art.txt"
    doc.write_text(ARTICLE.format('<script>alert(1)</script><a href="javascript:x()">x</a>'))
    result = CliRunner().invoke(main, ["explain", str(doc), "--model", str(SHIPPED_MODEL),
                                       "--format", "html"])
    assert result.exit_code == 0, result.output
    assert "<script>alert" not in result.output and 'href="javascript' not in result.output
    assert "&lt;script&gt;alert(1)" in result.output


def test_predict_table_keeps_one_line_per_document_whatever_its_id(tmp_path):
    data = tmp_path / "ids.jsonl"
    rows = [{"id": f"a\nb{OSC0}", "text": ARTICLE.format("")},
            {"id": "c", "text": ARTICLE.format("")}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = CliRunner().invoke(main, ["predict", str(data), "--model", str(SHIPPED_MODEL)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3 and lines[1].startswith("a\\nb ") and lines[2].startswith("c ")
    _no_escapes(result.output)


def test_an_error_quoting_a_file_is_printed_without_its_escapes():
    @click.command()
    @handle_errors
    def cmd():
        raise InputError("x.jsonl", f"has a bad id {OSC52}{OSC0}", line=3)

    result = CliRunner().invoke(cmd, [])
    assert result.exit_code == 1 and result.output.startswith("Error: x.jsonl")
    _no_escapes(result.output)


@pytest.mark.parametrize("name", [n for n, (_, want) in hostile_pages.hostile(0.05).items()
                                  if want == "refused"])
def test_a_page_over_the_bounds_is_a_bad_document_with_its_reason(name, tmp_path):
    raw, _ = hostile_pages.hostile(0.05)[name]
    with pytest.raises(InputError) as caught:
        page_document(raw, tmp_path / "p.html")
    assert (f"more than {MAX_PAGE_ELEMENTS:,} elements" in str(caught.value)
            or f"nested more than {MAX_PAGE_DEPTH} elements deep" in str(caught.value))


@pytest.mark.parametrize("name", [n for n, (_, want) in hostile_pages.hostile(0.05).items()
                                  if want == "bounded"])
def test_a_page_within_the_bounds_gives_its_article(name, tmp_path):
    raw, _ = hostile_pages.hostile(0.05)[name]
    doc = page_document(raw, tmp_path / "p.html")
    assert "minister said on Tuesday" in doc.text


def test_a_page_date_comes_from_its_metadata_never_its_prose(tmp_path):
    raw, _ = hostile_pages.hostile(0.05)["no date, dated prose"]
    assert page_document(raw, tmp_path / "p.html").date == ""
    dated = hostile_pages.page(head='<meta property="article:published_time" '
                                    'content="2023-05-04">',
                               prose="<p>On 1 January 2014 the plan was first announced.</p>")
    assert page_document(dated, tmp_path / "q.html").date == "2023-05-04"


@pytest.mark.slow
def test_tag_skips_a_page_over_the_bounds_and_exits_3(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "ok.html").write_bytes(hostile_pages.page())
    (pages / "tiny.html").write_bytes(hostile_pages.hostile(0.05)["many tiny <p>"][0])
    result = CliRunner().invoke(main, ["tag", str(pages), "--model", str(SHIPPED_MODEL),
                                       "--out", str(tmp_path / "o.jsonl"), "-q"])
    assert result.exit_code == 3, result.output
    errors = (tmp_path / "o.jsonl.errors.jsonl").read_text()
    assert "tiny.html" in errors and f"more than {MAX_PAGE_ELEMENTS:,} elements" in errors
