"""The command line: parses options, calls the library, formats what it returns."""

from __future__ import annotations

import shlex
from pathlib import Path
import click

from ..io import writers as _writers  # noqa: F401  attaches how each format prints predictions
from .options import (adapt_priors_option, data_options, evidence_option, format_option,
                      keep_option,
                      handle_errors, load_data,
                      max_doc_bytes_option, model_option, print_predictions, progress_bar, resolve_model,
                      say, schema_path, settings_from, settings_options)


class LazyGroup(click.Group):
    """A group some of whose commands live in other modules of this package, imported when
    one of them is run or listed (click's pattern for lazy subcommands): `tagger tag` does
    not pay for importing the labelling server's command. ``lazy``: {command: module}."""

    def __init__(self, *args, lazy: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str):
        if name not in self.commands and name in self.lazy:
            import importlib

            importlib.import_module(f"{__package__}.{self.lazy[name]}")  # registers it here
        return super().get_command(ctx, name)


# the commands defined beside this module, and where (tests/cli check every one is here)
LAZY_COMMANDS = {"tag": "batch", "evaluate": "evaluate", "explain": "explain", "info": "models",
                 "card": "models", "label": "label", "suggest": "suggest", "audit": "suggest",
                 "browse": "browse"}


@click.group(cls=LazyGroup, lazy=LAZY_COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tagger", prog_name="tagger")
def main():
    """Tag news articles with topics, from hand labels and a TF-IDF linear model.

    Train on labelled articles, measure the model honestly, and tag new ones.
    """


@main.command()
@data_options
@click.option("--model", "-m", "model", required=True, type=click.Path(file_okay=False),
              help="Directory to write the model to (replaced atomically).")
@settings_options
@click.option("--quiet", "-q", is_flag=True,
              help="No progress: a bar on a terminal, else a line per candidate with the time "
                   "left.")
@handle_errors
def train(data, label_files, tags_path, model, quiet, max_doc_bytes, **kwargs):
    """Train a model on labelled documents and save it to --model DIR.

    Each tag gets its own decision threshold, chosen by cross-validation to maximise its
    F1. The same data and settings give byte-identical model files. The model card
    (DIR/README.md, see `tagger card`) is written with it.

    \b
    Example (settings fixed, no search: seconds):
      tagger train --data ../shared/corpus/ukraine-2022.jsonl --labels labels/reference-train.csv \\
        --labels labels/reference-train-evidence.jsonl --tags labels/tags.toml \\
        --C 300 --ngram-max 1 --keyword-window 15 --sentences --model model-2022
    """
    from ..model.persist import check_model_target, save_model
    from ..reports.card import model_card
    from ..model.train import search_grid, train as train_model

    settings, search = settings_from(kwargs)
    check_model_target(model)  # before the work, not after it
    tags_path = schema_path(tags_path, label_files, quiet)
    docs, schema = load_data(data, label_files, tags_path, max_doc_bytes)
    command = rebuild_command(data, label_files, tags_path, model, kwargs)
    with progress_bar(len(search_grid(settings, search)) + 1, "training", quiet) as bar:
        trained = train_model(docs, schema=schema, settings=settings, search=search,
                              command=command, n_jobs=kwargs["n_jobs"], progress=bar.update)
    save_model(trained, model, card=model_card(trained, name=Path(model).name))
    cv = trained.metadata["cv"]
    chosen = trained.settings
    say(f"trained on {trained.metadata['n_train_docs']} labelled documents "
               f"({trained.metadata['n_unlabelled_docs']} unlabelled), {len(trained.tags)} tags, "
               f"{trained.n_features} features -> {model}")
    keywords = (f"keyword-window={chosen.keyword_window}" if trained.keywords
                else "no keyword features")
    sentences = (f"sentence features (sentence-C={chosen.sentence_C:g})" if chosen.sentences
                 else "no sentence features")
    say(f"settings: C={chosen.C:g}, ngram-max={chosen.ngram_max}, {keywords}, {sentences}, "
               f"{'unlabelled' if chosen.unlabelled_idf else 'labelled'} IDF"
               + (f" (best of {len(trained.metadata['search'])} by cross-validation)" if search else ""))
    say(f"{cv['folds']}-fold cross-validated micro-F1 {cv['micro']['f1']:.3f}, "
               f"macro-F1 {cv['macro']['f1']:.3f}")


def rebuild_command(data, label_files, tags_path, model, options) -> str:
    parts = ["tagger", "train"]
    for d in data:
        parts += ["--data", str(d)]
    for lf in label_files:
        parts += ["--labels", str(lf)]
    if tags_path:
        parts += ["--tags", str(tags_path)]
    parts += ["--model", str(model)]
    from dataclasses import fields

    from ..config import Settings

    d = Settings()
    for f in fields(Settings):  # the options each setting declares in tagger.config
        flag, value = f.metadata["flag"], options.get(f.name)
        if not flag or value is None:  # not an option, or searched
            continue
        if not f.metadata["search"] and value == getattr(d, f.name):  # its default
            continue
        if f.metadata["bound"].kind is bool:
            on, _, off = flag.partition("/")
            parts.append(on if value else off)
        else:
            parts += [flag, str(value)]
    if not options["search"]:
        parts.append("--no-search")
    return shlex.join(parts)


@main.command()
@model_option()
@format_option()
@evidence_option
@keep_option
@adapt_priors_option
@max_doc_bytes_option
@click.argument("paths", nargs=-1, required=True)
@handle_errors
def predict(model, fmt, evidence, keep, adapt_priors, max_doc_bytes, paths):
    """Tag a few documents: files, directories, or - for standard input.

    json, jsonl and csv give one record per document, in the columns `tagger tag` writes
    (id, date, title, source, url, the fields kept, model, then per tag TAG, TAG_score,
    TAG_evidence, TAG_start, TAG_end); table is for people.

    Given many documents (100 or more) unlike the model's training documents, it warns
    on standard error, as `tagger tag` does.

    \b
    Examples:
      tagger predict seeds/004_40f943de2ae17bec.txt
      cat seeds/000_2c1dc2b1a7e2b655.txt | tagger predict - --format json
    """
    from ..io.documents import read_documents
    from ..io.layout import Layout, check_keep
    from ..model.drift import MIN_DOCUMENTS, DriftCounts, drift_report, drift_warning
    from ..model.persist import load_model, model_digest

    directory = resolve_model(model)
    loaded = load_model(directory)
    layout = Layout(tuple(loaded.tags), check_keep(keep, loaded.tags), model_digest(directory))
    docs = read_documents(paths, max_doc_bytes=max_doc_bytes, keep=layout.keep)
    if adapt_priors:
        from ..model.priors import adapt

        loaded, estimate = adapt(loaded, [d.content for d in docs], adapt_priors)
        say(f"{estimate.summary()} ({estimate.n_docs} documents)", err=True)
    drift = DriftCounts()
    print_predictions(loaded.predict(docs, evidence=evidence, drift=drift), docs, layout, fmt)
    if drift.documents >= MIN_DOCUMENTS:
        warning = drift_warning(drift_report(loaded, drift))
        if warning:
            say(warning, err=True)
