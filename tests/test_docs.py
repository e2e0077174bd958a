"""The README cannot drift: its generated parts are checked, and its examples run as written."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SHARED

BIN = Path(sys.executable).parent


def test_readme_generated_parts_are_up_to_date():
    proc = subprocess.run([sys.executable, "-m", "cogapp", "--check", "-I", "tools", "README.md"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, f"run: .venv/bin/cog -r -I tools README.md\n{proc.stdout}{proc.stderr}"


def test_readme_gives_the_two_setup_commands_that_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    install = ("python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[test]' "
               "&& .venv/bin/tagger predict seeds/004_40f943de2ae17bec.txt")
    test = "tools/test"
    assert install in readme and test in readme
    assert install in ci and test in ci
    assert ".venv/bin/python -m pytest" in (REPO / "tools" / "test").read_text()


def _block(readme: str, heading: str, lang: str) -> str:
    section = readme.split(f"\n## {heading}\n", 1)[1]
    return re.search(rf"```{lang}\n(.*?)```", section, re.S).group(1)


def _fresh_copy(tmp_path: Path) -> Path:
    """The repository's tracked files as they are now, with ../shared beside them."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                           check=True).stdout.decode().split("\0")
    copy = tmp_path / "repo"
    for f in filter(None, files):
        if (REPO / f).is_file():
            (copy / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / f, copy / f)
    (tmp_path / "shared").symlink_to(SHARED.resolve())
    return copy


def assert_same_model(rebuilt, shipped):
    """The README's training command rebuilt the shipped model (to the last float bits the
    CPU may change)."""
    import numpy as np

    new, old = (json.loads((d / "model.json").read_text()) for d in (rebuilt, shipped))
    assert new["training_data"] == old["training_data"] and new["settings"] == old["settings"]
    assert new["thresholds"] == pytest.approx(old["thresholds"], abs=1e-6)
    a, b = np.load(shipped / "arrays.npz"), np.load(rebuilt / "arrays.npz")
    assert sorted(a.files) == sorted(b.files)
    assert a["vocabulary"].tobytes() == b["vocabulary"].tobytes()
    for name in a.files:
        np.testing.assert_allclose(a[name], b[name], atol=1e-6)


# -- every example runs as written -----------------------------------------------------------
# Bash blocks of the README that the tests run (in this order, in one fresh copy), and those
# they do not, with the reason: a block in neither list fails the first test below.
RUN_BLOCKS = ("Commands", "Labelling in the browser",
              "A labelling round: what to label next, and which labels are wrong", "The records")
NOT_RUN = {
    "Set-up: two commands": "CI runs them (.ci/run: checked above); the fast tier is a part "
                            "of what tools/test runs",
    "On a Dask cluster": "commands for several machines (SCHEDULER stands for one); "
                         "tests/test_batch.py tags on a real scheduler and workers",
    "Browsing a tagged archive": "its archive.sqlite is written by `tagger tag --out "
                                 "x.sqlite`; tests/test_browse_browser.py serves and drives "
                                 "the page on an archive of the fixture articles",
}


def bash_blocks(readme: str) -> list[tuple[str, str]]:
    """(heading, text) of each ```bash block, the heading the nearest one above it."""
    out, heading = [], ""
    for part in re.split(r"(^#{2,3} [^\n]*$|^```bash\n.*?^```)", readme, flags=re.S | re.M):
        if part.startswith("#"):
            heading = part.lstrip("#").strip()
        elif part.startswith("```bash"):
            out.append((heading, part[len("```bash\n"):-3]))
    return out


def commands(block: str) -> list[str]:
    """A block's commands, continuation lines joined, comments left out."""
    return [" ".join(c.split()) for c in block.replace("\\\n", " ").splitlines()
            if c.strip() and not c.lstrip().startswith("#")]


def serves(command: str) -> bool:
    """`tagger label` with options and no subcommand serves the page until stopped."""
    words = command.split()
    return words[:2] == ["tagger", "label"] and len(words) > 2 and words[2].startswith("-")


def help_examples() -> list[str]:
    """The commands of every `Example...:` and `Examples...:` section of every command's --help."""
    import click

    from tagger.cli import main

    found = []

    def walk(cmd: click.Command):
        lines = (cmd.help or "").replace("\\\n", " ").splitlines()
        for i, line in enumerate(lines):
            if re.fullmatch(r"Examples?\b.*:", line.strip()):
                for example in lines[i + 1:]:
                    if not example.strip():
                        break
                    found.append(" ".join(example.split()))
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)
    walk(main)
    return found


class Copy:
    """A fresh copy of the repository, and the commands run in it so far."""

    def __init__(self, path: Path):
        self.path = path
        self.env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
        self.env.pop("TAGGER_MODEL", None)
        self.env.pop("TAGGER_TOKEN", None)
        self.ran: list[str] = []

    def run(self, command: str) -> str:
        """Run a command as written, or serve until the page answers and then stop it."""
        self.ran.append(command)
        if serves(command):
            return serve_and_stop(command, self.path, self.env)
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=self.path,
                              env=self.env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        return proc.stdout + proc.stderr


def serve_and_stop(command: str, cwd: Path, env: dict) -> str:
    """As the README says: `--port 0` listens on a free port and prints the address to open;
    Ctrl-C (SIGINT) stops the server, cleanly. The page must answer at that address."""
    import shlex
    import signal
    import urllib.request

    from labelserver import LabelServer

    words = shlex.split(command)
    assert words[:2] == ["tagger", "label"]
    server = LabelServer(*words[2:], cwd=cwd, env=env)
    try:
        # the printed address sets the token as a cookie, then redirects: keep the cookie
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with browser.open(server.url, timeout=60) as page:
            assert page.status == 200 and "<html" in page.read().decode().lower()
        server.kill(signal.SIGINT)
        assert server.proc.returncode == 0, server.proc.stderr.read()
        return "".join(server.lines) + server.proc.stderr.read()
    finally:
        server.kill()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, corpus_path) -> Copy:
    """One fresh copy for every example, the README's Commands block run in it first (it
    trains model-2022, which later examples use)."""
    copy = Copy(_fresh_copy(tmp_path_factory.mktemp("docs")))
    for command in commands(_block((REPO / "README.md").read_text(encoding="utf-8"),
                                   "Commands", "bash")):
        copy.run(command)
    return copy


def test_every_bash_block_of_the_readme_is_run_or_says_why_not():
    headings = [h for h, _ in bash_blocks((REPO / "README.md").read_text(encoding="utf-8"))]
    assert set(headings) == set(RUN_BLOCKS) | set(NOT_RUN), headings
    assert len(help_examples()) >= 20


@pytest.mark.corpus
@pytest.mark.slow
def test_readme_examples_run_as_written_in_a_fresh_copy(fresh):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    copy = fresh.path
    assert len(fresh.ran) >= 8
    for made in ("scores.json", "report.html", "tags.parquet", "tags.parquet.drift.json", "why.html",
                 "model-2022/model.json", "model-2022/README.md", "archive.jsonl"):
        assert (copy / made).is_file(), made
    assert_same_model(copy / "rebuilt", REPO / "models" / "ukraine-war")
    # no example writes into models/: the shipped model in the copy is as checked out
    shipped = REPO / "models" / "ukraine-war"
    assert sorted(p.name for p in (copy / "models" / "ukraine-war").iterdir()) == \
        sorted(p.name for p in shipped.iterdir())
    for f in shipped.iterdir():
        assert (copy / "models" / "ukraine-war" / f.name).read_bytes() == f.read_bytes(), f.name
    proc = subprocess.run([sys.executable, "-c", _block(readme, "Python API", "python")], cwd=copy,
                          env=fresh.env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "'f1'" in proc.stdout and "004_40f943de2ae17bec ['missile_strikes'" in proc.stdout


@pytest.mark.corpus
@pytest.mark.slow
def test_readme_labelling_blocks_run_as_written(fresh):
    from tagger.labels.database import LabelDB
    from tagger.labels.resolve import resolve

    blocks = dict(bash_blocks((REPO / "README.md").read_text(encoding="utf-8")))
    said = {}
    for heading in RUN_BLOCKS[1:3]:
        for command in commands(blocks[heading]):
            said[command] = fresh.run(command)
    imported = resolve(LabelDB(fresh.path / "labels.db", create=False))
    # the CSV and its evidence, imported together: 120 labels, evidence for every tagged one
    assert len(imported.labels) == 120
    tagged = {d for d, tags in imported.labels.items() if tags}
    assert tagged and {d for d, e in imported.evidence.items() if e} == tagged
    assert any("imported 120 labels (47 with evidence), 0 already there" in s
               for s in said.values())
    assert any("imported 0 labels (0 with evidence), 120 already there" in s
               for s in said.values())
    for made in ("labels/new.jsonl", "my-model/model.json"):
        assert (fresh.path / made).is_file(), made


@pytest.mark.corpus
@pytest.mark.slow
def test_readme_records_block_runs_as_written(fresh):
    blocks = dict(bash_blocks((REPO / "README.md").read_text(encoding="utf-8")))
    for command in commands(blocks["The records"]):
        fresh.run(command)
    first = json.loads((fresh.path / "records.jsonl").read_text().splitlines()[0])
    assert list(first)[:7] == ["id", "date", "title", "source", "url", "text", "model"]
    assert (fresh.path / "records.csv").read_bytes().startswith(b"\xef\xbb\xbfid,date,")
    for made in ("records.jsonl.meta.json", "records.csv.meta.json"):
        assert (fresh.path / made).is_file(), made


@pytest.mark.corpus
@pytest.mark.slow
def test_every_help_example_runs_as_written(fresh):
    """After the README's (whose files some use); a command the README ran already is not
    run again."""
    for command in help_examples():
        if command not in fresh.ran:
            fresh.run(command)
