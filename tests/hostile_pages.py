"""Hostile saved web pages, each a normal article page with one thing added.

Used by tests/text/test_reliability_text.py and by benchmarks/hostile_pages.py (which times
them against the normal page). ``scale`` shrinks the large ones for quick runs.
"""

from __future__ import annotations

_WORDS = ("the minister said on Tuesday that the government would spend more on roads "
          "schools and hospitals next year after a long debate in parliament").split()


def article(paragraphs: int = 12) -> str:
    """Synthetic article prose (no reference text), enough words to be an article."""
    n = len(_WORDS)
    return "".join(f"<p>{' '.join(_WORDS[(i * 7) % n:] + _WORDS[:(i * 7) % n])}.</p>"
                   for i in range(paragraphs))


# What a saved news page carries besides its article: a menu of links, a script, a footer
# (about 100 KB and 1,000 elements, as pages saved from news sites are).
_NAV = "<nav><ul>" + "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(300)) + "</ul></nav>"
_SCRIPT = "<script>var config = {" + ",".join(f'"key{i}": "{"v" * 40}"' for i in range(1500)) + "};</script>"
_FOOTER = "<footer>" + "".join(f"<p><a href='/about/{i}'>About us {i}</a></p>" for i in range(100)) + "</footer>"


def page(body: str = "", head: str = "", prose: str = "") -> bytes:
    """A normal news page, with ``body`` after its article, ``head`` in its head and
    ``prose`` at the article's start."""
    return (f"<html><head><title>Roads and schools</title>{head}{_SCRIPT}</head><body>{_NAV}"
            f"<article><h1>Roads and schools</h1>{prose}{article(40)}</article>{body}{_FOOTER}"
            "</body></html>").encode()


def hostile(scale: float = 1.0) -> dict[str, tuple[bytes, str]]:
    """name -> (page bytes, what must happen: "refused" or "bounded")."""
    n = max(int(600_000 * scale), 30_000)  # always over the element bound
    return {
        "many tiny <p>": (page("<p>x</p>" * n), "refused"),
        "deep nesting": (page("<div>" * 5_000 + "deep " * 50 + "</div>" * 5_000), "refused"),
        "unclosed <b> tags": (page("<b>x" * 5_000), "refused"),
        "huge attribute": (page(f'<div title="{"a" * int(4_000_000 * scale)}">x</div>'), "bounded"),
        "entity flood": (page("&amp;&#x41;" * int(300_000 * scale)), "bounded"),
        "DOCTYPE entity bomb": (b'<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;'
                                b'&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;'
                                b'&b;">]>' + page("&c;" * 1000), "bounded"),
        "no date, dated prose": (page(prose="<p>On 1 January 2014 the plan was first "
                                            "announced.</p>"), "bounded"),
    }
