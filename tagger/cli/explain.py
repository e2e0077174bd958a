"""`tagger explain`: why the model gave each tag to a document, or did not."""

from __future__ import annotations

import sys

import click

from ..reports import explanation as _views  # noqa: F401  attaches how formats render an explanation
from .commands import main
from .options import (format_option, handle_errors, max_doc_bytes_option, model_option,
                      resolve_model)


@main.command()
@model_option()
@click.argument("path")
@click.option("--id", "doc_id", help="The document to explain, when PATH holds several.")
@click.option("--tag", "tags", multiple=True,
              help="Explain this tag (repeatable) [default: every tag, the given ones and those "
                   "just under their threshold in detail].")
@format_option("explanation", default="text")
@click.option("--out", "-o", type=click.Path(dir_okay=False),
              help="Write to this file instead of standard output.")
@max_doc_bytes_option
@handle_errors
def explain(model, path, doc_id, tags, fmt, out, max_doc_bytes):
    """Why the model gave each tag to a document, or did not.

    Every tag's probability against its threshold; then for each tag its logit as the
    intercept plus one contribution per word (the word's n-gram weight, its share of the
    keyword features when it is a keyword counted, and of the sentence features when it
    lies in a best sentence), the keywords matched with their context words, and the
    document's sentences ranked by their score for the tag. The JSON also gives the
    contributions feature by feature. PATH is one document, or a file of them with --id.

    \b
    Examples:
      tagger explain seeds/004_40f943de2ae17bec.txt
      tagger explain ../shared/corpus/economist-2023-2025.jsonl --id 3198472fb112 --format html -o why.html
    """
    from ..io.documents import read_documents
    from ..io.files import check_output, write_text_atomic
    from ..model.explain import explain as explain_document
    from ..model.persist import load_model
    from ..io.formats import renderer

    if out:
        check_output(out, inputs=[path])
    loaded = load_model(resolve_model(model))
    docs = read_documents([path], max_doc_bytes=max_doc_bytes)
    if doc_id is not None:
        docs = [d for d in docs if d.id == doc_id]
        if not docs:
            raise click.ClickException(f"{path}: no document with id {doc_id!r}")
    if len(docs) != 1:
        raise click.ClickException(f"{path}: holds {len(docs)} documents; choose one with --id")
    doc = docs[0]
    result = explain_document(loaded, doc, tags=list(tags) or None)
    text = renderer(fmt, "explanation")(result, doc=doc, every_tag=bool(tags),
                                        color=not out and sys.stdout.isatty())
    if out:
        write_text_atomic(out, text)
    else:
        click.echo(text, nl=False)
