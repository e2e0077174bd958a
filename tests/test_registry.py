"""What varies by name is registered once (tagger.registry): every CLI choice list, help
list and check comes from a registry, and a name added to one shows up everywhere."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import click
import pytest

from conftest import REPO, SEEDS, SHIPPED_MODEL
from tagger.cli import main
from tagger.errors import DecisionError, InputError, ModelError, TaggerError
from tagger.io import readers
from tagger.io.documents import iter_documents_lenient, parse_record, raw_records
from tagger.io.records import Document, Skipped
from tagger.registry import Registry

def test_a_registry_keeps_order_and_refuses_an_unknown_name_listing_the_known():
    shapes = Registry("shape", error=ModelError)
    shapes.add("square", 4, help="four sides", regular=True)

    @shapes.register("kite", help="two | two", regular=False)
    def kite():
        return "kite"

    assert list(shapes) == shapes.choices() == ["square", "kite"]
    assert shapes.lookup("kite") is kite and shapes.values() == [4, kite]
    assert shapes.names(regular=True) == ["square"]
    assert shapes.help_text() == "square: four sides; kite: two | two"
    assert shapes.listing() == "'square' or 'kite'"
    assert shapes.markdown_rows() == ["| `square` | four sides |", "| `kite` | two \\| two |"]
    with pytest.raises(ModelError, match=r"unknown shape 'circle' \(use square, kite\)"):
        shapes.lookup("circle")
    with pytest.raises(ValueError, match="registered twice"):
        shapes.add("square", 5)
    shapes.unregister("kite")
    assert "kite" not in shapes and len(shapes) == 1


def test_a_view_follows_its_registry_and_a_registry_renders_as_a_markdown_table():
    shapes = Registry("shape", error=ModelError)
    shapes.add("square", 4, help="four\nsides")
    even = shapes.view("even shape", lambda e: e.value % 2 == 0)
    shapes.add("triangle", 3, help="three sides")
    shapes.add("hexagon", 6, help="six | sides")
    assert even.choices() == ["square", "hexagon"] and even in Registry.every()
    with pytest.raises(ModelError, match=r"unknown even shape 'triangle' \(use square, hexagon\)"):
        even.lookup("triangle")
    with pytest.raises(TypeError):
        even.add("octagon", 8)
    assert even.markdown_table() == ("| name | help |\n|---|---|\n| `square` | four sides |\n"
                                     "| `hexagon` | six \\| sides |\n")
    assert shapes.markdown_table(lambda e: e.name, lambda e: str(e.value),
                                 header=("shape", "sides")).splitlines()[2:] == [
        "| square | 4 |", "| triangle | 3 |", "| hexagon | 6 |"]


def _choices(command: click.Command, path: str = ""):
    """(command path, parameter name, choices) of every Choice below ``command``."""
    for param in command.params:
        if isinstance(param.type, click.Choice):
            yield path, param.name, list(param.type.choices)
    if isinstance(command, click.Group):  # the lazy commands too: listed, then imported
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            yield from _choices(command.get_command(ctx, name), f"{path} {name}".strip())


def test_every_choice_of_the_cli_comes_from_a_registry():
    found = list(_choices(main))  # first: it imports the commands, and their registries
    registered = [r.choices() for r in Registry.every()]
    assert len(found) > 5
    by_hand = {(path, name) for path, name, choices in found if choices not in registered}
    assert not by_hand, f"written by hand: {sorted(by_hand)}"


@pytest.mark.slow  # a whole tagger process
def test_a_strategy_a_queue_and_an_output_format_added_to_their_registries_appear_in_the_help():
    # a fresh interpreter: the CLI builds its options from the registries as it is imported
    script = textwrap.dedent("""
        from click.testing import CliRunner
        from tagger.app.queues import QUEUES
        from tagger.evaluation.suggest import STRATEGIES

        STRATEGIES.add("fixture-strategy", None, help="picks as a fixture does",
                       model="unused", focus=False)
        QUEUES.add("fixture-queue", None, help="as a fixture orders them",
                   adjudicates=False, disputed=False)
        from tagger.io.formats import FORMATS, Format, renders

        FORMATS.add("fixture-format", Format(), help="as a fixture prints them")
        renders("fixture-format", "predictions")(lambda preds, docs, layout: "fixture\\n")
        from tagger.cli import main

        for command in ("suggest", "label", "predict"):
            print(CliRunner().invoke(main, [command, "--help"], terminal_width=1000).output)
        print(CliRunner().invoke(main, ["predict", "-f", "fixture-format", "seeds"]).output)
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert "[mixed|uncertain|random|cold|fixture-strategy]" in text
    assert "fixture-strategy: picks as a fixture does." in text
    assert "'fixture-queue' (as a fixture orders them), or a file of document ids" in text
    assert "[table|json|jsonl|csv|fixture-format]" in text
    assert "fixture-format: as a fixture prints them." in text
    assert out.stdout.endswith("\nfixture\n\n")  # predict printed in it (and print a newline)


@pytest.fixture
def lazy_lines():
    """A format registered for this test: one document a line, read lazily."""
    def records(path, cap):
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            yield (n, line) if line else InputError(path, "is blank", line=n)

    def parse(path, raw, cap, keep=()):
        n, line = raw
        if line == "bad":
            raise InputError(path, "says bad", line=n)
        return Document(id=f"line-{n}", text=line, source=path)

    def read(path, cap, keep=()):
        for raw in records(path, cap):
            yield raw if isinstance(raw, InputError) else parse(str(path), raw, cap, keep)

    readers.reader("lines", ".lines", holds="a document a line", lazy=(records, parse))(read)
    yield
    readers.READERS.unregister("lines")


def test_batch_reading_hands_on_a_lazy_formats_records_unparsed(tmp_path, lazy_lines):
    path = tmp_path / "a.lines"
    path.write_text("first article text\n\nbad\nlast one\n")
    raw = list(raw_records([tmp_path]))
    assert raw[0] == ("lines", str(path), (1, "first article text"))  # parsed where tagged
    assert isinstance(raw[1], Skipped) and raw[1].id == "a.lines:2"
    items = [parse_record(r) for r in raw]
    assert [type(i).__name__ for i in items] == ["Document", "Skipped", "Skipped", "Document"]
    assert items[2].reason == "says bad" and items[2].source == f"{path}:3"
    assert [i.id for i in iter_documents_lenient([path])] == [i.id for i in items]
    assert ".lines" in readers.describe()


def test_every_lazy_record_survives_pickling(tmp_path):
    import pickle

    (tmp_path / "one.txt").write_text("A text file of one document.")
    (tmp_path / "two.jsonl").write_text('{"id": "j1", "text": "A JSON line."}\n')
    raw = list(raw_records([tmp_path]))
    assert [r[0] for r in raw] == ["txt", "jsonl"]
    docs = [parse_record(pickle.loads(pickle.dumps(r))) for r in raw]
    assert [d.id for d in docs] == ["one", "j1"]


def test_an_unknown_queue_or_strategy_names_the_registered_ones():
    from tagger.app.queues import QUEUES
    from tagger.evaluation.suggest import STRATEGIES

    with pytest.raises(DecisionError, match="use order, random, suggest, review, audit"):
        QUEUES.lookup("nope")
    with pytest.raises(ModelError, match=r"unknown strategy 'nope' \(use mixed, uncertain"):
        STRATEGIES.lookup("nope")


def test_one_registry_of_output_formats_says_what_each_renders_and_for_which_commands():
    import tagger.cli  # noqa: F401  every module attaching how a format renders is imported
    from tagger.io.formats import FORMATS, KINDS, commands, formats_for, renderer, renders

    served = {e.name: commands(e) for e in FORMATS.entries()}
    assert all(served.values()), f"declared, rendering nothing: {served}"
    assert served["json"] == ["predict", "suggest", "audit", "explain", "label stats"]
    assert served["csv-excel"] == ["tag"] and served["html"] == ["explain"]
    assert formats_for("file").choices() == ["jsonl", "csv", "csv-excel", "parquet", "sqlite"]
    assert {k for e in FORMATS.entries() for k in e.value.renders} == set(KINDS)
    with pytest.raises(TaggerError, match=r"unknown predictions format 'parquet' \(use table, json"):
        renderer("parquet", "predictions")
    with pytest.raises(ValueError, match="twice"):
        renders("json", "rows")(lambda rows, columns: "")
    assert "| `csv-excel` | CSV that starts with a UTF-8 byte order mark" in FORMATS.markdown_table()


def test_an_unknown_engine_or_way_to_treat_duplicates_is_refused_before_any_work(tmp_path):
    from tagger.batch import tag_files

    out = tmp_path / "out.jsonl"
    with pytest.raises(TaggerError, match=r"unknown engine 'nope' \(use local, dask\)"):
        tag_files([SEEDS], out, model_dir=SHIPPED_MODEL, engine="nope")
    with pytest.raises(TaggerError, match=r"unknown way to treat duplicates 'nope' \(use error, "
                                          r"skip, keep\)"):
        tag_files([SEEDS], out, model_dir=SHIPPED_MODEL, duplicates="nope")
    assert list(tmp_path.iterdir()) == []
