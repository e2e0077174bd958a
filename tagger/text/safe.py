"""Untrusted text (a model's metadata, an article, a file's contents) made safe to print on
a terminal: escape sequences (CSI, OSC such as a clipboard write or a window title, DCS
and the rest) and control characters removed, bidi overrides too (they reorder what the
reader sees)."""

from __future__ import annotations

import re

# A whole escape sequence, 7-bit (ESC ...) or 8-bit (C1 introducer), so that its
# parameters go with it rather than being left as litter: CSI up to its final byte;
# OSC, DCS, SOS, PM and APC up to their terminator (BEL or ST) or the end of the text
# (a terminal would swallow that much too); any other ESC with its intermediate and
# final bytes.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?")
# What is left: C0 but newline and tab, DEL, C1, and the bidi embeddings, overrides and
# isolates (U+202A-U+202E, U+2066-U+2069).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def terminal_safe(text, *, one_line: bool = False) -> str:
    """``text`` with escape sequences and control characters removed; newlines and tabs
    kept, or with ``one_line`` shown as ``\\n``, ``\\r`` and ``\\t`` (a table cell, an id)."""
    text = str(text)
    if one_line:
        for raw, shown in _LINE_BREAKS.items():
            text = text.replace(raw, shown)
    else:
        text = text.replace("\r\n", "\n")
    return _CONTROL.sub("", _SEQUENCE.sub("", text))


def terminal_safe_all(value):
    """Every string in a JSON-like value (dicts, lists, tuples) made terminal-safe."""
    if isinstance(value, str):
        return terminal_safe(value)
    if isinstance(value, dict):
        return {k: terminal_safe_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(terminal_safe_all(v) for v in value)
    return value
