"""The parts of README.md generated from the code, so they cannot drift.

README.md holds cog blocks that call these functions; regenerate with

    .venv/bin/cog -r -I tools README.md

and `cog --check` (run by the tests) fails when a part is out of date.
"""

from __future__ import annotations


def cli_reference() -> str:
    """Every command's --help, as the terminal shows it."""
    from click.testing import CliRunner

    from tagger.cli import main

    import click

    runner = CliRunner()
    parts = []
    commands = []
    for name in sorted(main.commands):
        commands.append([name])
        command = main.commands[name]
        if isinstance(command, click.Group):  # and its own commands: `tagger label stats`
            commands += [[name, sub] for sub in sorted(command.commands)]
    for args in [[], *commands]:
        title = " ".join(["tagger", *args])
        out = runner.invoke(main, [*args, "--help"], prog_name="tagger", terminal_width=100).output
        parts.append(f"### `{title}`\n\n```text\n{out.rstrip()}\n```\n")
    return "\n".join(parts)


def settings_table() -> str:
    from tagger.config import settings_table

    return settings_table()


def input_formats() -> str:
    """The input formats, from the reader registry."""
    from tagger.io.readers import READERS

    rows = ["| input | documents |", "|---|---|",
            "| directory | every file below it with one of the suffixes below, in name order |"]
    rows += READERS.markdown_rows(lambda e: ", ".join(f"`{s}`" for s in e.value.suffixes),
                                  lambda e: e.value.holds)
    rows.append("| `-` | standard input, one document with id `stdin` (`predict` only) |")
    return "\n".join(rows) + "\n"


def output_formats() -> str:
    """What predict prints and what tag writes, from the writer registries."""
    from tagger.io.writers import OUTPUT_FORMATS, PRINTERS

    printed = ", ".join(f"`{name}`" for name in PRINTERS)
    files = "; ".join(f"`{name}` ({', '.join(f.suffixes)}: {f.about})"
                      for name, f in OUTPUT_FORMATS.items())
    return (f"`tagger predict --format` prints {printed}; `tagger tag --out` writes {files}; "
            "chosen by the extension (`.csv` is `csv`), or `--format`.\n")


def record_columns() -> str:
    """The columns of every record, from the one layout (tagger.io.layout), with their
    types in Parquet and SQLite."""
    from tagger.io.layout import described_columns
    from tagger.io.parquetout import arrow_types
    from tagger.io.sqlitestore import SQL_TYPES

    arrow = arrow_types()
    rows = ["| column | Parquet | SQLite | holds |", "|---|---|---|---|"]
    rows += [f"| `{c}` | {arrow[k]} | {SQL_TYPES[k]} | {note} |" for c, k, note in described_columns()]
    return "\n".join(rows) + "\n"


def label_keys() -> str:
    """The labelling page's keys, from the registry its script reads."""
    from tagger.app.keys import markdown_table

    return markdown_table()
