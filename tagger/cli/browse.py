"""`tagger browse ARCHIVE`: the archive's page, read-only, with corrections into a label
database."""

from __future__ import annotations

import click

from .commands import main
from .options import handle_errors
from .serving import default_annotator, serve, serving_options


@main.command()
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--db", "db", type=click.Path(dir_okay=False),
              help="Label database to store corrections in (the one tagger label writes; "
                   "created when missing) [default: none, corrections off].")
@click.option("--annotator", "-a", default=default_annotator, show_default="your login name",
              help="Whose corrections these are.")
@serving_options(port=8766)
@handle_errors
def browse(archive, db, annotator, serving):
    """See a tagged archive (SQLite, JSONL, CSV or Parquet, from tagger tag) in the browser.

    A SQLite archive (tagger tag --out x.sqlite) is read as it is; a JSONL, CSV or Parquet
    file tagger tag wrote is loaded into a temporary SQLite archive first (a JSONL or CSV
    file with its OUT.meta.json beside it). Only a SQLite archive keeps the article text:
    for the others, search covers the titles and the article view shows no text, unless
    the text was kept (tagger tag --keep text).

    The front page counts the documents given each tag, charts them per week (or month)
    and marks the runs whose drift report warned; filter by tag, source, dates, score and
    words; open an article to see each tag's evidence sentence and score. With --db, its
    "wrong tag" / "missing tag" buttons store your correction as a labelling decision
    (tagger label export and tagger train --labels read it). The archive is never changed.
    Open the address it prints: it carries a new access token each run (or give one with
    --token or TAGGER_TOKEN).
    """
    import tempfile

    from ..app.browse import create_browse_app
    from ..app.browsedb import Archive
    from ..io.archiveload import as_sqlite
    from ..labels.database import LabelDB

    with tempfile.TemporaryDirectory(prefix="tagger-browse-") as folder:
        store = Archive(as_sqlite(archive, folder))
        labels = LabelDB(db) if db else None
        if labels is not None:
            labels.keep_open()
        app = create_browse_app(store, labels=labels, annotator=annotator, token=serving.token,
                                allowed_hosts=serving.allowed_hosts)
        counts = store.tag_counts()
        serve(app, serving, "tagger browse",
              f"{counts['']} documents in {archive}"
              + (f", corrections to {labels.path} as {annotator}" if labels
                 else ", corrections off (no --db)"))
