"""Regenerate the command reference in README.md from the CLI's own --help.

    python tools/cli_docs.py          # rewrite README.md
    python tools/cli_docs.py --check  # exit 1 if README.md is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from click.testing import CliRunner

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- cli-help:start -->", "<!-- cli-help:end -->"


def render() -> str:
    from tagger.cli import main

    runner = CliRunner()
    parts = []
    for args in [[], *[[name] for name in sorted(main.commands)]]:
        title = " ".join(["tagger", *args])
        out = runner.invoke(main, [*args, "--help"], prog_name="tagger", terminal_width=100).output
        parts.append(f"### `{title}`\n\n```text\n{out.rstrip()}\n```\n")
    return "\n".join(parts)


def updated(text: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    return pattern.sub(lambda _: f"{START}\n{render()}{END}", text)


if __name__ == "__main__":
    current = README.read_text(encoding="utf-8")
    new = updated(current)
    if "--check" in sys.argv:
        sys.exit(0 if new == current else 1)
    README.write_text(new, encoding="utf-8")
