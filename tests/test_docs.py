"""The manual cannot drift: README.md and docs/*.md. Their generated parts are checked, the
site builds with warnings as errors, and every example runs as written."""

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
README_LIMIT = 15_000  # characters: a front page, not the manual (issue 24)


def pages() -> list[str]:
    """The manual's files, relative to the repository: the front page, then every page."""
    return ["README.md", *sorted(f"docs/{p.name}" for p in (REPO / "docs").glob("*.md"))]


def read(page: str) -> str:
    return (REPO / page).read_text(encoding="utf-8")


def test_generated_parts_are_up_to_date():
    proc = subprocess.run([sys.executable, "-m", "cogapp", "--check", "-I", "tools", *pages()],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, (f"run: .venv/bin/cog -r -I tools README.md docs/*.md\n"
                                  f"{proc.stdout}{proc.stderr}")
    # the command reference, the settings, the formats and the benchmark tables are there
    assert sum(p.count("[[[cog") for p in map(read, pages())) >= 9


def test_the_readme_is_a_front_page_that_links_to_every_page():
    readme = read("README.md")
    assert len(readme) <= README_LIMIT, f"README.md has {len(readme):,} characters"
    linked = set(re.findall(r"\]\((docs/[a-z_-]+\.md)[)#]", readme))
    assert linked == set(pages()[1:]) - {"docs/index.md"}, linked
    for image in re.findall(r"\]\((docs/[^)]+\.png)\)", readme):
        assert (REPO / image).is_file(), image


@pytest.mark.slow
def test_the_site_builds_with_warnings_as_errors(tmp_path):
    """`mkdocs build --strict`: a broken link or anchor, or a page left out of the navigation,
    fails it (as the copy with one broken link shows)."""
    def build(root: Path):
        return subprocess.run([str(BIN / "mkdocs"), "build", "--strict", "--site-dir",
                               str(tmp_path / "site")], cwd=root, capture_output=True,
                              text=True, timeout=120, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})

    proc = build(REPO)
    assert proc.returncode == 0, proc.stderr
    for page in pages()[1:]:
        name = Path(page).stem
        built = tmp_path / "site" / ("index.html" if name == "index" else f"{name}/index.html")
        assert built.is_file(), page
    assert "fonts.googleapis" not in (tmp_path / "site" / "index.html").read_text()
    broken = tmp_path / "broken"
    shutil.copytree(REPO / "docs", broken / "docs")
    shutil.copy(REPO / "mkdocs.yml", broken)
    with (broken / "docs" / "setup.md").open("a") as f:
        f.write("\nSee [the tour](tour.md#five-minutes).\n")
    proc = build(broken)
    assert proc.returncode != 0 and "tour.md" in proc.stderr


def test_the_readme_and_setup_page_give_the_two_setup_commands_that_ci_runs():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    install = ("python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[test]' "
               "&& .venv/bin/tagger predict seeds/004_40f943de2ae17bec.txt")
    test = "tools/test"
    for page in ("README.md", "docs/setup.md"):
        blocks = [b.strip() for _, b in bash_blocks(read(page))]
        assert install in blocks and test in blocks, page
    assert install in ci and test in ci
    assert ".venv/bin/python -m pytest" in (REPO / "tools" / "test").read_text()


def block(page: str, heading: str, lang: str = "bash") -> str:
    """The text of every ```lang block of the page under that heading, joined."""
    return "".join(text for h, text in fenced_blocks(read(page), lang) if h == heading)


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
# Bash blocks of the manual that the tests run, by page and heading, in this order in one fresh
# copy (later ones use what earlier ones made: model-2022, scores.json, labels.db,
# archive.sqlite), and those they do not, with the reason: a block in neither fails the first
# test below.
RUN_BLOCKS = (
    ("README.md", "A five-minute tour"),
    ("docs/tagging.md", "Tag a few articles, and see why"),
    ("docs/training.md", "Rebuild the shipped model"),
    ("docs/evaluation.md", "Scores on articles the model never saw"),
    ("docs/training.md", "What a model holds"),
    ("docs/tagging.md", "Batch tagging"),
    ("docs/tagging.md", "The records"),
    ("docs/labelling.md", "Labelling in the browser"),
    ("docs/rounds.md", "A labelling round: what to label next, and which labels are wrong"),
    ("docs/browse.md", "Browsing a tagged archive"),
)
NOT_RUN = {
    ("README.md", "Set-up: two commands"): "CI runs them (.ci/run: checked above)",
    ("docs/setup.md", "Set-up: two commands"): "CI runs the two (.ci/run: checked above); the "
                                               "fast tier is a part of what tools/test runs",
    ("docs/tagging.md", "On a Dask cluster"): "commands for several machines (SCHEDULER stands "
                                              "for one); tests/batch/test_batch.py tags on a real "
                                              "scheduler and workers",
}


def fenced_blocks(text: str, lang: str = "bash") -> list[tuple[str, str]]:
    """(heading, text) of each ```lang block, the heading the nearest one above it (a block of
    any language is passed over whole, so its comments are not taken for headings)."""
    out, heading = [], ""
    for part in re.split(r"(^#{1,3} [^\n]*$|^```[\w-]*\n.*?^```)", text, flags=re.S | re.M):
        if part.startswith("#"):
            heading = part.lstrip("#").strip()
        elif part.startswith(f"```{lang}\n"):
            out.append((heading, part[len(f"```{lang}\n"):-3]))
    return out


def bash_blocks(text: str) -> list[tuple[str, str]]:
    return fenced_blocks(text, "bash")


def commands(block: str) -> list[str]:
    """A block's commands, continuation lines joined, comments left out."""
    return [" ".join(c.split()) for c in block.replace("\\\n", " ").splitlines()
            if c.strip() and not c.lstrip().startswith("#")]


def serves(command: str) -> bool:
    """`tagger label` with options and no subcommand, and `tagger browse`, serve a page until
    stopped."""
    words = command.split()
    return (words[:2] == ["tagger", "browse"] or words[:2] == ["tagger", "label"]
            and len(words) > 2 and words[2].startswith("-"))


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
        if isinstance(cmd, click.Group):  # the lazy ones too: listed, then imported
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name))
    walk(main)
    return found


class Copy:
    """A fresh copy of the repository, and what each command run in it so far said."""

    def __init__(self, path: Path):
        self.path = path
        self.env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
        self.env.pop("TAGGER_MODEL", None)
        self.env.pop("TAGGER_TOKEN", None)
        self.said: list[tuple[str, str]] = []

    @property
    def ran(self) -> set[str]:
        return {command for command, _ in self.said}

    def run(self, command: str) -> str:
        """Run a command as written, or serve until the page answers and then stop it."""
        if serves(command):
            out = serve_and_stop(command, self.path, self.env)
        else:
            proc = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=self.path,
                                  env=self.env, capture_output=True, text=True, timeout=900)
            assert proc.returncode == 0, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
            out = proc.stdout + proc.stderr
        self.said.append((command, out))
        return out


def serve_and_stop(command: str, cwd: Path, env: dict) -> str:
    """As the manual says: `--port 0` listens on a free port and prints the address to open;
    Ctrl-C (SIGINT) stops the server, cleanly. The page must answer at that address."""
    import shlex
    import signal
    import urllib.request

    from labelserver import LabelServer

    words = shlex.split(command)
    server = LabelServer(*words[2:], cwd=cwd, env=env, command=words[1])
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
    """One fresh copy, every block of RUN_BLOCKS run in it in order."""
    copy = Copy(_fresh_copy(tmp_path_factory.mktemp("docs")))
    for page, heading in RUN_BLOCKS:
        text = block(page, heading)
        assert text, f"{page}: no bash block under {heading!r}"
        for command in commands(text):
            copy.run(command)
    return copy


def test_every_bash_block_of_the_manual_is_run_or_says_why_not():
    found = {(page, heading) for page in pages() for heading, _ in bash_blocks(read(page))}
    assert found == set(RUN_BLOCKS) | set(NOT_RUN), found ^ (set(RUN_BLOCKS) | set(NOT_RUN))
    assert len(help_examples()) >= 20


@pytest.mark.corpus
@pytest.mark.slow
def test_the_examples_run_as_written_in_a_fresh_copy_and_leave_models_alone(fresh):
    copy = fresh.path
    assert len(fresh.said) >= 30
    for made in ("scores.json", "report.html", "tags.parquet", "tags.parquet.drift.json", "why.html",
                 "model-2022/model.json", "model-2022/README.md", "archive.jsonl",
                 "archive.sqlite", "labels/corrections.jsonl"):
        assert (copy / made).is_file(), made
    assert_same_model(copy / "rebuilt", REPO / "models" / "ukraine-war")
    # no example writes into models/: the shipped model in the copy is as checked out
    shipped = REPO / "models" / "ukraine-war"
    assert sorted(p.name for p in (copy / "models" / "ukraine-war").iterdir()) == \
        sorted(p.name for p in shipped.iterdir())
    for f in shipped.iterdir():
        assert (copy / "models" / "ukraine-war" / f.name).read_bytes() == f.read_bytes(), f.name
    tour = [c for c, _ in fresh.said if c.startswith(("tagger browse", "tagger label --"))]
    assert any(c.startswith("tagger browse archive.sqlite") for c in tour), tour


@pytest.mark.corpus
@pytest.mark.slow
def test_every_python_block_runs_as_written(fresh):
    found = [text for page in pages() for _, text in fenced_blocks(read(page), "python")]
    assert found  # the Python API's example, in docs/development.md
    said = ""
    for text in found:
        proc = subprocess.run([sys.executable, "-c", text], cwd=fresh.path, env=fresh.env,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"{text}\n{proc.stderr[-3000:]}"
        said += proc.stdout
    assert "'f1'" in said and "004_40f943de2ae17bec ['missile_strikes'" in said


@pytest.mark.corpus
@pytest.mark.slow
def test_the_labelling_blocks_imported_and_exported_what_they_say(fresh):
    from tagger.labels.database import LabelDB
    from tagger.labels.resolve import resolve

    said = [out for command, out in fresh.said if command.startswith("tagger label")]
    imported = resolve(LabelDB(fresh.path / "labels.db", create=False))
    # the CSV and its evidence, imported together: 120 labels, evidence for every tagged one
    assert len(imported.labels) == 120
    tagged = {d for d, tags in imported.labels.items() if tags}
    assert tagged and {d for d, e in imported.evidence.items() if e} == tagged
    assert any("imported 120 labels (47 with evidence), 0 already there" in s for s in said)
    assert any("imported 0 labels (0 with evidence), 120 already there" in s for s in said)
    for made in ("labels/new.jsonl", "my-model/model.json"):
        assert (fresh.path / made).is_file(), made


@pytest.mark.corpus
@pytest.mark.slow
def test_the_records_block_wrote_what_it_says(fresh):
    first = json.loads((fresh.path / "records.jsonl").read_text().splitlines()[0])
    assert list(first)[:7] == ["id", "date", "title", "source", "url", "text", "model"]
    assert (fresh.path / "records.csv").read_bytes().startswith(b"\xef\xbb\xbfid,date,")
    for made in ("records.jsonl.meta.json", "records.csv.meta.json"):
        assert (fresh.path / made).is_file(), made


@pytest.mark.corpus
@pytest.mark.slow
def test_every_help_example_runs_as_written(fresh):
    """After the manual's blocks (whose files some use); a command they ran already is not
    run again."""
    for command in help_examples():
        if command not in fresh.ran:
            fresh.run(command)
