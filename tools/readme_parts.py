"""The parts of the manual (README.md and docs/*.md) generated from the code, so they cannot
drift.

The pages hold cog blocks that call these functions; regenerate with

    .venv/bin/cog -r -I tools README.md docs/*.md

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
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        commands.append([name])
        command = main.get_command(ctx, name)
        if isinstance(command, click.Group):  # and its own commands: `tagger label stats`
            commands += [[name, sub] for sub in sorted(command.commands)]
    for args in [[], *commands]:
        title = " ".join(["tagger", *args])
        out = runner.invoke(main, [*args, "--help"], prog_name="tagger", terminal_width=100).output
        parts.append(f"## `{title}`\n\n```text\n{out.rstrip()}\n```\n")
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
    """What predict prints and what tag writes, from the output-format registry."""
    from tagger.io.formats import formats_for
    from tagger.io.writers import file_format

    printed = ", ".join(f"`{name}`" for name in formats_for("predictions"))
    files = "; ".join(f"`{e.name}` ({', '.join(file_format(e.name).suffixes)}: "
                      f"{e.value.helps.get('file', e.help)})" for e in formats_for("file").entries())
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


# -- performance figures, from the saved runs of benchmarks/results/ ---------------------------

def _run(name: str) -> dict:
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _source(run: dict) -> str:
    """Which run the figures come from: the file, command, date, code and machine."""
    m = run["machine"]
    load = m["load_average_1_5_15_min"]
    note = f"; {run['note']}" if run.get("note") else ""
    return (f"From `benchmarks/results/{run['name']}.json`: `{run['command'].split(' --json')[0]}`, "
            f"{run['date'][:10]}, commit `{run['commit']}`, {m['cores']} cores ({m['cpu_model']}), "
            f"load average {load['at_start'][0]:.1f} at the start and {load['at_end'][0]:.1f} at "
            f"the end{note}.")


def speed_table() -> str:
    """`benchmarks/tag_speed.py`'s saved run: docs/s per tool, on the machine and per core."""
    run = _run("tag_speed")
    f = run["figures"]
    tools = f["tools"]
    ours = tools["tagger tag"]
    rows = ["| tool | cores used | documents a second | per core | per CPU-second | "
            "`tagger tag` against it, per core (per CPU-second) |", "|---|---|---|---|---|---|"]
    for name, t in tools.items():
        against = "" if name.startswith("tagger tag") else (
            f"{ours['docs_per_s_per_core'] / t['docs_per_s_per_core']:.2f}x "
            f"({ours['docs_per_cpu_s'] / t['docs_per_cpu_s']:.2f}x)")
        rows.append(f"| `{name}` | {t['cores']} | {t['docs_per_s']:,.0f} | "
                    f"{t['docs_per_s_per_core']:,.0f} | {t['docs_per_cpu_s']:,.0f} | {against} |")
    return ("\n".join(rows) + "\n\n"
            f"{f['documents']:,} articles ({f['megabytes']:.0f} MB), medians of {f['runs']} runs; "
            "per CPU-second counts the CPU time of the tool's processes (a machine busy with "
            "other work changes it less than the wall clock). Writing the SQLite archive "
            f"(`--out x.sqlite`) takes {f['sqlite_time_over_jsonl']:.2f}x the time of JSONL "
            f"(median of the runs' ratios; target: at most 1.3x). {_source(run)}\n")


def memory_table() -> str:
    """`benchmarks/tag_memory.py`'s saved run: peak memory as the input grows tenfold."""
    run = _run("tag_memory")
    f = run["figures"]
    small, large = (str(n) for n in f["documents"])
    rows = ["| documents | peak resident memory (MiB, command and workers) | seconds |", "|---|---|---|"]
    for n in (small, large):
        secs = sorted(f["seconds"][n])[len(f["seconds"][n]) // 2]
        rows.append(f"| {int(n):,} | {f['median_peak_mib'][n]:.1f} | {secs:.0f} |")
    return ("\n".join(rows) + "\n\n"
            f"{run['ratio']:.2f}x the memory for {int(large) // int(small)}x the documents "
            f"(target: at most 1.5x), medians of {f['runs']} runs. {_source(run)}\n")


def browse_speed() -> str:
    """`benchmarks/browse_speed.py`'s saved run: the pages of a large archive, in ms."""
    run = _run("browse_speed")
    f = run["figures"]
    ms = f["median_ms"]
    rest = ", ".join(f"{name} {v:.0f} ms" for name, v in ms.items() if name != "front page")
    return (f"`benchmarks/browse_speed.py` times the pages of a {f['articles']:,}-article archive "
            f"(about 4,400 characters each) served by `tagger browse`: the front page in "
            f"{ms['front page']:.0f} ms (median of {f['requests']}; the bound is "
            f"{run['baseline']:.0f} ms), {rest}. {_source(run)}\n")


def architecture_table() -> str:
    """The layers, from the import-linter contract in pyproject.toml; each package's modules
    from its folder and what it holds from its docstring, so a moved module cannot go stale."""
    import ast
    import tomllib
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    contract = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = contract["contracts"][0]["layers"]
    rows = ["| layer | package | modules | holds |", "|---|---|---|---|"]
    for depth, layer in enumerate(reversed(layers), start=1):
        for name in (n.strip() for n in layer.split("|")):
            folder = repo / name.replace(".", "/")
            source = folder / "__init__.py" if folder.is_dir() else folder.with_suffix(".py")
            modules = sorted(p.name for p in folder.glob("*.py") if p.name != "__init__.py") \
                if folder.is_dir() else [source.name]
            extra = sorted(f"{d.name}/" for d in folder.glob("*") if d.is_dir()
                           and d.name in {"templates", "static"}) if folder.is_dir() else []
            doc = " ".join((ast.get_docstring(ast.parse(source.read_text())) or "").split("\n\n")[0].split())
            listed = ", ".join(f"`{m}`" for m in modules + extra)
            rows.append(f"| {depth} | `{name}` | {listed} | {doc} |")
    return "\n".join(rows) + "\n"
