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


@pytest.mark.corpus
@pytest.mark.slow
def test_readme_examples_run_as_written_in_a_fresh_copy(tmp_path, corpus_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    copy = _fresh_copy(tmp_path)
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    env.pop("TAGGER_MODEL", None)
    commands = [c for c in _block(readme, "Commands", "bash").replace("\\\n", " ").splitlines()
                if c.strip() and not c.startswith("#")]
    assert len(commands) >= 8
    for command in commands:
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=copy, env=env,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    for made in ("scores.json", "report.html", "tags.parquet", "tags.parquet.drift.json", "why.html",
                 "model-2022/model.json", "model-2022/README.md", "archive.jsonl"):
        assert (copy / made).is_file(), made
    assert_same_model(copy / "models" / "ukraine-war", REPO / "models" / "ukraine-war")
    proc = subprocess.run([sys.executable, "-c", _block(readme, "Python API", "python")], cwd=copy,
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "'f1'" in proc.stdout and "004_40f943de2ae17bec ['missile_strikes'" in proc.stdout
