"""The labelling page's keys, declared once: the page's script binds them (it reads this
table from the page), its help lists them, and the manual's table (docs/labelling.md) is generated from them."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import DecisionError
from ..registry import Registry

# The orders of the tags on the page, and so of their keys 1-9, by name: each
# (listed, scores) -> listed in that order, where listed holds (index, Tag) in the schema's
# order and scores the model's {tag: probability} (empty without a model).
TAG_ORDERS: Registry = Registry("tag order", error=DecisionError)
TAG_ORDERS.add("schema", lambda listed, scores: listed, help="the schema's")
TAG_ORDERS.add("score", lambda listed, scores: (sorted(listed, key=lambda kt: -scores[kt[1].id])
                                                if scores else listed),
               help="the model's likeliest first for each article")


@dataclass(frozen=True)
class Key:
    """``keys``: the values of the browser's ``KeyboardEvent.key`` that trigger ``action``
    (``digit`` actions get the digit pressed; with ``shift``, matched by the key's code, so
    any keyboard layout works); ``shown``: how the help writes it."""

    action: str
    shown: str
    does: str
    keys: tuple[str, ...] = ()
    shift: bool = False
    digit: bool = False


DIGITS = tuple("123456789")

KEYS: tuple[Key, ...] = (
    Key("toggle", "1 – 9", "add that tag to your choice, or remove it; a note says which",
        DIGITS, digit=True),
    Key("accept-tag", "Shift + 1 – 9", "accept the model's proposal for that tag (or click "
        "its proposal chip): the tag with the model's evidence sentence", DIGITS, shift=True,
        digit=True),
    Key("accept-all", "a", "accept the model's whole proposal: all its tags, with its evidence",
        ("a",)),
    Key("none", "0", "read, and no tag applies", ("0",)),
    Key("save", "Enter", "save your choice and go on (refused, with the reason, if you chose "
        "nothing)", ("Enter",)),
    Key("skip", "s", "skip this article (stores no tag)", ("s",)),
    Key("undo", "u", "undo your last decision: that article comes back as you left it",
        ("u",)),
    Key("next-sentence", "j", "go to the next sentence", ("j",)),
    Key("previous-sentence", "k", "go to the previous sentence", ("k",)),
    Key("evidence", "e or Space", "mark the sentence you are on (or click it) as evidence "
        "for the active tag; again to unmark", ("e", " ")),
    Key("no-evidence", "n", "the active tag has no single evidence sentence", ("n",)),
    Key("jump", "g", "jump to the model's evidence for the active tag (again: the next tag's)",
        ("g",)),
    Key("definitions", "d", "show or hide the tags' definitions", ("d",)),
    Key("history", "h", "your recent decisions: ↑ ↓ to choose, Enter to reopen and change one",
        ("h",)),
    Key("search", "/", "search the articles by words in the title or text; ↓ and Enter open one", ("/",)),
    Key("help", "?", "show or hide this list", ("?",)),
    Key("close", "Esc", "close the open panel, leave the search box", ("Escape",)),
)


def key_table() -> list[dict]:
    """The keys as the page's script reads them."""
    return [asdict(k) for k in KEYS]


def markdown_table() -> str:
    """The keys as the manual shows them."""
    rows = ["| key | what it does |", "|---|---|"]
    rows += [f"| {' '.join(f'`{w}`' if w not in ('–', '+', 'or') else w for w in k.shown.split())} "
             f"| {k.does} |" for k in KEYS]
    return "\n".join(rows) + "\n"
