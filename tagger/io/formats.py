"""The output formats, in one registry: each format's name and help are declared here, once,
and each says how it renders every kind of output it serves — predictions printed by
`predict`, the file `tag` writes, the rows of `suggest` and `audit`, the report of `explain`
or of `label stats`. A command offers the formats that render its kind of output
(:func:`formats_for`), and its help and errors list them from there.

How a format renders a kind is attached by the module that does it, wherever that lives
in the layers (:func:`renders`): the printers and file writers in :mod:`tagger.io.writers`,
the rows in :mod:`tagger.reports.rows`, the explanation in :mod:`tagger.reports.explanation`,
the agreement in :mod:`tagger.reports.text` (the JSON of a report here). So a kind's
formats are complete once its module is imported, as the command using them does before
it builds its options. To add a format: declare it in ``FORMATS`` (here, or in a plugin),
then attach what it renders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from ..registry import Entry, Registry

# What a format renders, and the commands that print or write that kind of output
KINDS = {
    "predictions": ("predict",),   # (predictions, docs, layout) -> str
    "file": ("tag",),              # a tagger.io.writers.FileFormat
    "rows": ("suggest", "audit"),  # (rows: list of dicts, columns) -> str
    "explanation": ("explain",),   # (explanation, *, doc, color, every_tag) -> str
    "agreement": ("label stats",),  # (agreement) -> str
}


@dataclass
class Format:
    """An output format: how it renders each kind of output it serves (``renders``, by
    kind), and the help for one kind where the format's own would not say enough
    (``helps``). ``person``: the output is for a person to read, made terminal-safe
    when printed; the other formats are data for a program, printed as they are."""

    person: bool = False
    renders: dict[str, Any] = field(default_factory=dict)
    helps: dict[str, str] = field(default_factory=dict)


FORMATS: Registry[Format] = Registry("output format")
FORMATS.add("table", Format(person=True), help="aligned columns, for a person")
FORMATS.add("text", Format(person=True), help="for a person to read")
FORMATS.add("json", Format(), help="one JSON document")
FORMATS.add("jsonl", Format(), help="one JSON object a line")
FORMATS.add("csv", Format(), help="comma-separated values, a header first")
FORMATS.add("csv-excel", Format(), help="CSV that starts with a UTF-8 byte order mark, for Excel")
FORMATS.add("parquet", Format(), help="Parquet: typed columns, metadata in the file")
FORMATS.add("sqlite", Format(), help="a SQLite database")
FORMATS.add("html", Format(), help="one self-contained HTML page")

_VIEWS: dict[str, Registry[Format]] = {}


def formats_for(kind: str) -> Registry[Format]:
    """The formats that render ``kind`` (one of KINDS), in the registry's order: a view of
    FORMATS, for a command's choices, help and errors."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of output {kind!r} (use {', '.join(KINDS)})")
    if kind not in _VIEWS:
        _VIEWS[kind] = FORMATS.view(f"{kind} format", lambda e: kind in e.value.renders)
    return _VIEWS[kind]


def renders(name: str, kind: str, *, help: str = "") -> Callable:
    """Decorator: the function (or object) decorated is how format ``name`` renders
    ``kind``; ``help`` says what it gives there, if the format's own help does not."""
    def attach(how):
        fmt = FORMATS.lookup(name)
        if kind not in KINDS or kind in fmt.renders:
            raise ValueError(f"{name!r} renders {kind!r} twice, or that is no kind of output")
        fmt.renders[kind] = how
        if help:
            fmt.helps[kind] = help
        return how
    return attach


def renderer(name: str, kind: str):
    """How format ``name`` renders ``kind``; a format that does not raises, listing those
    that do."""
    return formats_for(kind).lookup(name).renders[kind]


def help_for(kind: str) -> str:
    """The formats of ``kind`` as a phrase for a help text: "json: one JSON document; ..."."""
    return "; ".join(f"{e.name}: {e.value.helps.get(kind, e.help)}"
                     for e in formats_for(kind).entries())


def commands(entry: Entry[Format]) -> list[str]:
    """The commands a format serves (for the documentation's table of formats)."""
    return [c for kind, cs in KINDS.items() if kind in entry.value.renders for c in cs]


def for_person(name: str) -> bool:
    """Whether format ``name`` is read by a person (made terminal-safe when printed)."""
    return FORMATS.lookup(name).person


def as_json(result, **context) -> str:
    """A report (a dict of JSON values) as one indented JSON document: the JSON of
    `explain` and `label stats`, whatever else their text needs (``context``)."""
    return json.dumps(result, indent=2, ensure_ascii=False) + "\n"


renders("json", "explanation", help="every tag, with each feature's contribution")(as_json)
renders("json", "agreement")(as_json)
