"""The package's shape: imports point one way, no private names cross modules, modules stay
small, every package is installed, and the shipped model installs with the package."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import REPO, SEEDS

PACKAGE = REPO / "tagger"
BIN = Path(sys.executable).parent


def lint_imports(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"PYTHONPATH": str(pythonpath)} if pythonpath else {})}
    return subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_imports_follow_the_layers():
    proc = lint_imports(REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 kept, 0 broken" in proc.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    shutil.copytree(PACKAGE, tmp_path / "tagger", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / "tagger" / "text" / "tokens.py").open("a") as fh:
        fh.write("\nfrom ..cli import main  # noqa: an upward import, for this test\n")
    proc = lint_imports(tmp_path, pythonpath=tmp_path)
    assert proc.returncode != 0
    assert "tagger.text.tokens -> tagger.cli" in proc.stdout


def modules():
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_reaches_into_another_modules_private_names(path):
    tree = ast.parse(path.read_text())
    private = lambda name: name.startswith("_") and not name.startswith("__")  # noqa: E731
    found = [f"line {n.lineno}: import {a.name}" for n in ast.walk(tree)
             if isinstance(n, ast.ImportFrom) for a in n.names if private(a.name)]
    found += [f"line {n.lineno}: {ast.unparse(n)}" for n in ast.walk(tree)
              if isinstance(n, ast.Attribute) and private(n.attr)
              and not (isinstance(n.value, ast.Name) and n.value.id in ("self", "cls"))]
    assert not found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_modules_stay_small(path):
    lines = len(path.read_text().splitlines())
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert lines <= 300 or "long because" in docstring, f"{lines} lines"


def test_every_package_is_installed():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(REPO).parts) for p in PACKAGE.rglob("__init__.py")}
    assert found | {"tagger.models"} == set(config["packages"])
    assert config["package-dir"]["tagger.models"] == "models"


@pytest.mark.slow
def test_a_wheel_carries_the_shipped_model_and_tags_from_any_directory(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path / "dist"), str(REPO)], check=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("tagger-*.whl")
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(site), str(wheel)], check=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("TAGGER_MODEL", None)
    proc = subprocess.run([sys.executable, "-c", "import tagger, tagger.cli; print(tagger.__file__); "
                           "tagger.cli.main()", "predict", str(SEEDS / "004_40f943de2ae17bec.txt"),
                           "-f", "json"], cwd=elsewhere, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    first, rest = proc.stdout.split("\n", 1)
    assert first.startswith(str(site))  # the installed copy, not the source tree
    assert '"missile_strikes"' in rest and '"air_defence_aid"' in rest
