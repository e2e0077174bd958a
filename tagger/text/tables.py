"""Aligned plain-text tables for the terminal, laid out by ``tabulate``.

Every cell is made terminal-safe and one line first (a newline in an id is shown as
``\\n``), so a planted escape sequence neither acts nor skews the columns, and each row is
one line. tabulate is asked for its ``plain`` format with the header given as the first
row: given as ``headers`` it would pad every header by two spaces (its MIN_PADDING), and
it is kept from reading cells as numbers (``disable_numparse``: an id ``1e5`` stays
``1e5``) and from stripping them (``preserve_whitespace``). Numbers are formatted by the
caller, so their digits are decided in one place.

Why tabulate and not rich: start-up. Imported after what ``tagger predict`` loads anyway,
tabulate costs about 10 ms and ``rich.table`` about 60 ms (``python -X importtime``,
medians of 5, December 2026), of a run of about 0.65 s CPU; and rich wraps and styles for
the terminal it finds, where these tables are plain text for a terminal or a pipe alike.
Imported lazily, so only commands that print a table pay even the 10 ms.
"""

from __future__ import annotations

from typing import Sequence

from .safe import terminal_safe


def plain_table(header: Sequence[str], rows: Sequence[Sequence], right: Sequence[int] = ()) -> str:
    """``header`` and ``rows`` as aligned columns two spaces apart, no trailing blanks and no
    final newline; the columns numbered in ``right`` are right-aligned (numbers), the
    others left. A cell of ``None`` is empty; a row of empty cells is a blank line."""
    from tabulate import tabulate  # a well-kept layout library (issue 24); 0.10 for preserve_whitespace

    cells = [[terminal_safe("" if c is None else c, one_line=True) for c in row]
             for row in [header, *rows]]
    right = set(right)
    align = ["right" if j in right else "left" for j in range(max(map(len, cells)))]
    text = tabulate(cells, tablefmt="plain", disable_numparse=True, colalign=align,
                    preserve_whitespace=True)
    return "\n".join(line.rstrip() for line in text.split("\n"))
