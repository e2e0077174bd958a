"""Hostile saved web pages, each a normal article page with one thing added.

Used by tests/test_reliability_text.py and by benchmarks/hostile_pages.py (which times
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


def page(body: str = "", head: str = "", prose: str = "") -> bytes:
    return (f"<html><head><title>Roads and schools</title>{head}</head><body><article>"
            f"<h1>Roads and schools</h1>{prose}{article()}</article>{body}</body></html>").encode()


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
