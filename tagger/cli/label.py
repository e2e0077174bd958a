"""`tagger label`: the labelling page, and the label database's statistics and export."""

from __future__ import annotations

from pathlib import Path

import click

from ..app.keys import TAG_ORDERS
from ..app.queues import queue_help
from ..reports import text as _text  # noqa: F401  attaches how formats render agreement
from .commands import main
from .options import format_option, handle_errors, max_doc_bytes_option, resolve_model, say
from .serving import default_annotator, serve, serving_options

def _schema(tags_path, db, label_files, model):
    from ..labels.tagschema import TagSchema, load_schema

    candidates = [tags_path] if tags_path else [Path(db).parent / "tags.toml",
                                                *[Path(f).parent / "tags.toml" for f in label_files]]
    for c in candidates:
        if c and (tags_path or Path(c).is_file()):
            return load_schema(c)
    if model is not None:
        return TagSchema.from_ids(model.tags)
    raise click.ClickException("no tag schema: pass --tags FILE (or keep a tags.toml beside "
                               "the database)")


@main.group(invoke_without_command=True)
@click.option("--data", "-d", "data", multiple=True,
              help="Documents to label: a file or directory, as for train (repeatable).")
@click.option("--db", "db", type=click.Path(dir_okay=False),
              help="The label database (SQLite; created when missing).")
@click.option("--model", "-m", "model", envvar="TAGGER_MODEL", type=click.Path(file_okay=False),
              help="Model whose scores and evidence are shown [env: TAGGER_MODEL; default: the "
                   "shipped model].")
@click.option("--no-model", is_flag=True, help="Show no model scores.")
@click.option("--tags", "tags_path", type=click.Path(dir_okay=False),
              help="Tag schema (TOML) with the tags' definitions [default: a tags.toml beside "
                   "the database or the first --labels file, else the model's tags].")
@click.option("--labels", "-l", "label_files", multiple=True, type=click.Path(dir_okay=False),
              help="Import these labels into the database first (CSV, JSONL with evidence, or "
                   "another database); importing the same labels again adds nothing.")
@click.option("--annotator", "-a", default=default_annotator, show_default="your login name",
              help="Who is labelling (a page opened with ?annotator=NAME labels as NAME).")
@click.option("--queue", "queue", default="order", show_default=True, help=queue_help())
@click.option("--relabel", is_flag=True,
              help="With a queue file: offer its articles even when already labelled, each "
                   "starting from your label in force, until you have decided each again.")
@click.option("--tag", "-t", "suggest_tags", multiple=True,
              help="With --queue suggest: spend the picks on this tag only (repeatable) "
                   "[default: every tag, taking turns].")
@click.option("--retrain-every", type=click.IntRange(1), default=10, show_default=True,
              help="With --queue suggest: retrain (the model's settings, no search) on the "
                   "database's labels after this many new ones, and rank again.")
@click.option("--overlap", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of articles sent to two annotators, to measure their agreement.")
@click.option("--tag-order", type=click.Choice(TAG_ORDERS.choices()), default="schema",
              show_default=True,
              help="Order of the tags on the page, and so of their keys 1-9 ("
                   + TAG_ORDERS.help_text() + ").")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random queue.")
@serving_options
@max_doc_bytes_option
@click.pass_context
@handle_errors
def label(ctx, data, db, model, no_model, tags_path, label_files, annotator, queue, relabel,
          suggest_tags, overlap, retrain_every, tag_order, seed, serving,
          max_doc_bytes):
    """Label articles in the browser: one at a time, by keyboard, into a database.

    Each article shows its paragraphs and sentences, the tags' definitions and the
    model's score for each tag. The model's proposal (its tags above threshold, each with
    its evidence sentence) is drawn apart and chosen for nobody: accept it (a, or Shift
    and a tag's number) or choose your own tags (1-9, then click the evidence sentence).
    0 no tag applies, Enter save (an untouched article stores nothing), s skip, u undo,
    h your recent decisions, / search, ? all keys. Every decision is appended to the
    database (SQLite) before the page is told it is saved, marking the tags accepted
    from the model. Open the address printed: it carries a new access token each
    run, which the page keeps as a cookie (no token: --no-token, on loopback only).

    \b
    Examples:
      tagger label --data ../shared/corpus/economist-2023-2025.jsonl --db labels.db --tags labels/tags.toml
      tagger label stats --db labels.db
      tagger label export --db labels.db --out labels/new.jsonl
      tagger train --data ../shared/corpus/economist-2023-2025.jsonl --labels labels.db --tags labels/tags.toml --model my-model
    """
    if ctx.invoked_subcommand is not None:
        return
    if not data or not db:
        raise click.UsageError("tagger label needs --data and --db (or a command: import, stats, export)")
    if suggest_tags and queue != "suggest":
        raise click.UsageError("--tag chooses the tags of --queue suggest")
    from ..app.server import create_app
    from ..app.session import Session
    from ..io.documents import read_documents
    from ..labels.database import LabelDB
    from ..model.persist import load_model, model_digest

    loaded, fingerprint = None, ""
    if not no_model:
        directory = resolve_model(model)
        loaded, fingerprint = load_model(directory), model_digest(directory)
    schema = _schema(tags_path, db, label_files, loaded)
    if loaded is not None and list(loaded.tags) != schema.ids:
        raise click.ClickException(f"the model's tags ({', '.join(loaded.tags)}) are not the "
                                   f"schema's ({', '.join(schema.ids)}): give a model of these "
                                   "tags with --model, or label with --no-model")
    unknown = [t for t in suggest_tags if t not in schema.ids]
    if unknown:  # refused before any import is written
        raise click.ClickException(f"unknown tag {unknown[0]!r} (known: {', '.join(schema.ids)})")
    docs = read_documents(data, max_doc_bytes=max_doc_bytes)
    if label_files:
        _import(db, docs, label_files, schema, err=True)
    store = LabelDB(db)
    session = Session(db=store, docs=docs, schema=schema, model=loaded, fingerprint=fingerprint,
                      queue=queue, overlap=overlap, annotator=annotator, seed=seed,
                      tag_order=tag_order, retrain_every=retrain_every, relabel=relabel,
                      suggest_tags=suggest_tags)
    app = create_app(session, token=serving.token, allowed_hosts=serving.allowed_hosts)
    serve(app, serving, "tagger label", f"{len(docs)} documents, {store.path}, as {annotator}, "
                                        f"queue {queue}")


def _import(db, docs, label_files, schema, *, err: bool = False):
    """Read the label files together, check them all, then import them in one transaction;
    print the counts."""
    from ..labels.attach import attach_labels, labelled
    from ..labels.resolve import import_labelled, import_origin

    given = labelled(attach_labels(docs, label_files, known_tags=schema.ids))
    done = import_labelled(db, given, origin=import_origin(label_files))
    say(f"imported {done.labels} labels ({done.with_evidence} with evidence), "
               f"{done.already} already there, from {', '.join(map(str, label_files))}", err=err)
    return done


@label.command("import")
@click.option("--db", "db", required=True, type=click.Path(dir_okay=False),
              help="The label database (SQLite; created when missing).")
@click.option("--data", "-d", "data", multiple=True, required=True,
              help="The documents labelled: a file or directory, as for train (repeatable).")
@click.option("--labels", "-l", "label_files", multiple=True, required=True,
              type=click.Path(dir_okay=False),
              help="Label files, read together: CSV, JSONL with evidence, evidence files, or "
                   "another database (repeatable).")
@click.option("--tags", "tags_path", type=click.Path(dir_okay=False),
              help="Tag schema (TOML) [default: a tags.toml beside the database or the first "
                   "--labels file].")
@max_doc_bytes_option
@handle_errors
def import_(db, data, label_files, tags_path, max_doc_bytes):
    """Import labels into the database, without serving the page: whole or not at all.

    The label files given together are read together (a CSV and its evidence file, in
    any order) and checked completely before anything is written; then every label is
    stored in one transaction, as the annotator 'import'. A file that fails leaves the
    database as it was. Importing the same labels again adds nothing.

    \b
    Examples:
      tagger label import --db labels.db --data ../shared/corpus/economist-2023-2025.jsonl --tags labels/tags.toml \\
        --labels labels/economist-random.csv --labels labels/economist-random-evidence.jsonl
    """
    from ..io.documents import read_documents

    schema = _schema(tags_path, db, label_files, None)
    _import(db, read_documents(data, max_doc_bytes=max_doc_bytes), label_files, schema)


@label.command()
@click.option("--db", "db", required=True, type=click.Path(dir_okay=False, exists=True),
              help="The label database.")
@click.option("--tags", "tags_path", type=click.Path(dir_okay=False),
              help="Tag schema: its tags, in its order [default: the tags labelled].")
@format_option("agreement", default="text")
@handle_errors
def stats(db, tags_path, fmt):
    """Annotators' counts, their agreement per tag (Cohen's kappa, F1), and disagreements.

    Agreement is measured on the documents two annotators both labelled (send a share of
    articles to two with --overlap), per pair of annotators and over all pairs.
    """
    from ..io.formats import for_person, renderer
    from ..labels.agreement import agreement
    from ..labels.database import LabelDB
    from ..labels.tagschema import load_schema

    tags = load_schema(tags_path).ids if tags_path else None
    result = agreement(LabelDB(db, create=False), tags)
    text = renderer(fmt, "agreement")(result)
    if for_person(fmt):
        say(text, nl=False)
    else:
        click.echo(text, nl=False)


@label.command()
@click.option("--db", "db", required=True, type=click.Path(dir_okay=False, exists=True),
              help="The label database.")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="Label file to write (replaced atomically): .jsonl gives labels with their "
                   "evidence, .csv gives id,tags.")
@click.option("--annotator", "-a", help="Only this annotator's labels [default: everyone's, "
                                        "adjudicated labels winning].")
@click.option("--own-only", is_flag=True,
              help="Leave out every decision in which a tag of the model's proposal was "
                   "accepted unchanged (the annotators' own choices only).")
@handle_errors
def export(db, out, annotator, own_only):
    """Write one label per document: the adjudicated one, else the one annotators agree on.

    Documents whose annotators disagree, with no adjudication yet, are left out and
    counted (review them with --queue review). With --own-only, a decision that accepted
    any of the model's proposed tags unchanged is left out whole (dropping only those tags
    would turn them into 'not this tag'); decisions stored before this was recorded are
    kept and counted.
    """
    from ..labels.database import LabelDB
    from ..labels.resolve import export_labels

    resolved = export_labels(LabelDB(db, create=False), out, annotator=annotator,
                             own_only=own_only)
    with_evidence = sum(1 for e in resolved.evidence.values() if e)
    say(f"exported {len(resolved.labels)} labels ({with_evidence} with evidence, "
               f"{resolved.adjudicated} adjudicated) to {out}")
    if resolved.disputed:
        say(f"left out {len(resolved.disputed)} documents whose annotators disagree: "
                   "tagger label --queue review", err=True)
    if own_only:
        say(f"left out {resolved.accepted_left_out} decisions that accepted the "
                   f"model's proposal; kept {resolved.unrecorded} stored before accepted "
                   "proposals were recorded", err=True)
