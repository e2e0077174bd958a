import importlib.util

from conftest import REPO


def test_readme_command_reference_matches_the_cli_help():
    spec = importlib.util.spec_from_file_location("cli_docs", REPO / "tools" / "cli_docs.py")
    cli_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli_docs)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert cli_docs.START in readme
    assert cli_docs.updated(readme) == readme, "run: python tools/cli_docs.py"


def test_readme_gives_the_two_setup_commands_that_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    install = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/tagger predict seeds/004_40f943de2ae17bec.txt"
    test = "tools/test"
    assert install in readme and test in readme
    assert install in ci and test in ci
    assert ".venv/bin/python -m pytest" in (REPO / "tools" / "test").read_text()
