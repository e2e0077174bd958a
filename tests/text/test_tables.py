"""Terminal tables laid out by tabulate (issue 24): what tagger asks of it, pinned — cells
kept as given (no number parsing, no stripping), one line a row, terminal-safe, aligned."""

from __future__ import annotations

from tagger.io.formats import renderer
from tagger.reports import rows as _rows  # noqa: F401  attaches how formats render rows
from tagger.reports.text import format_table
from tagger.text.tables import plain_table

OSC52 = "\x1b]52;c;ZXZpbA==\x07"


def test_cells_are_kept_as_given_and_numbered_columns_go_right():
    text = plain_table(["id", "score", "note"], [["1e5", "0.5", " padded "], ["007", "12.25", None]],
                       right=[1])
    assert text.split("\n") == ["id   score  note",
                                "1e5    0.5   padded",
                                "007  12.25"]


def test_a_hostile_cell_is_one_line_safe_and_does_not_skew_the_columns():
    text = plain_table(["id", "tags"], [[f"a\nb\r{OSC52}\tc", "x"], ["short", "y"]])
    lines = text.split("\n")
    assert len(lines) == 3 and "\x1b" not in text and "\x07" not in text
    assert lines[1] == "a\\nb\\r\\tc  x"
    assert {line.index(t) for line, t in zip(lines, ["tags", "x", "y"])} == {len("a\\nb\\r\\tc  ")}


def test_an_empty_row_is_a_blank_line_and_no_line_ends_in_blanks():
    text = plain_table(["tag", "f1"], [["a", "0.5"], [], ["micro avg", "0.25"]], right=[1])
    assert text.split("\n") == ["tag          f1", "a           0.5", "", "micro avg  0.25"]


def test_the_score_table_lines_up_every_column():
    m = {"precision": 0.9, "recall": 0.8, "f1": 0.85, "f1_ci95": [0.8, 0.9], "support": 40}
    result = {"per_tag": {"missile_strikes": {**m, "ece": 0.031}, f"x{OSC52}": m},
              "micro": m, "macro": m, "n_docs": 9}
    lines = format_table(result).split("\n")
    header, rows = lines[0], [lines[1], lines[2], lines[4], lines[5]]
    for row in rows:  # numbers end where their header ends, text starts where it starts
        assert row.index("0.900") + 5 == header.index("precision") + 9
        assert row.index("[0.800") == header.index("95% interval")
    assert "\x1b" not in "\n".join(lines) and lines[3] == ""


def test_the_row_table_cuts_long_cells_and_puts_numbers_right():
    rows = [{"rank": 1, "id": "a\nb", "title": "x" * 90}, {"rank": 10, "id": "c", "title": OSC52}]
    lines = renderer("table", "rows")(rows, ["rank", "id", "title"]).split("\n")
    assert lines == ["rank  id   title", "   1  a b  " + "x" * 67 + "...", "  10  c", ""]
