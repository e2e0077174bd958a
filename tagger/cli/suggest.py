"""`tagger suggest` (which articles to label next) and `tagger audit` (which labels are
probably wrong)."""

from __future__ import annotations

import click

from ..evaluation.suggest import STRATEGIES
from ..reports import rows as _rows  # noqa: F401  attaches how formats render rows
from .commands import main
from .options import (data_options, format_option, handle_errors, load_data, model_option,
                      resolve_model, say, schema_path, settings_from, settings_options)


def _rows_option(f):
    f = click.option("--out", "-o", type=click.Path(dir_okay=False),
                     help="Write to this file (atomically) instead of standard output.")(f)
    return format_option("rows", default="table")(f)


def _check_out(out, data, label_files) -> None:
    """Refuse an --out that would replace an input, before any work is done."""
    if out:
        from ..io.files import check_output

        check_output(out, inputs=[*data, *label_files])


def _emit(rows, columns, fmt, out):
    from ..io.files import write_text_atomic
    from ..io.formats import renderer

    text = renderer(fmt, "rows")(rows, columns)
    if out:
        write_text_atomic(out, text)
    else:
        say(text, nl=False)


@main.command()
@model_option()
@data_options
@click.option("-n", "n", type=click.IntRange(1, 100_000), default=50, show_default=True,
              help="How many articles to suggest.")
@click.option("--strategy", "-s", type=click.Choice(STRATEGIES.choices()),
              default="mixed", show_default=True, help=STRATEGIES.help_text() + ".")
@click.option("--tag", "-t", "focus", multiple=True,
              help="Spend the picks on this tag only, where the model is weakest, say "
                   "(repeatable) [default: every tag, taking turns].")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random picks.")
@_rows_option
@handle_errors
def suggest(model, data, label_files, tags_path, max_doc_bytes, n, strategy, focus, seed, fmt,
            out):
    """Which unlabelled articles to label next, and why.

    The pool is every document of --data without a label (in --labels, or in its own
    'tags' field). Each pick says how it was chosen and the tags behind it: for the
    uncertain ones, the tags within one logit of their threshold, with their scores. No
    two picks are near-duplicates (TF-IDF cosine above 0.5).

    \b
    Examples:
      tagger suggest --data ../shared/corpus/economist-2023-2025.jsonl --labels labels/economist-random.csv -n 20
      tagger suggest --data ../shared/corpus/economist-2023-2025.jsonl --labels labels/economist-random.csv \\
        --tag escalation_rhetoric -n 20 --format csv -o picks.csv
      tagger suggest --data seeds --strategy cold --tags labels/tags.toml -n 5
    """
    from ..evaluation.suggest import suggest as pick
    from ..io.formats import for_person
    from ..model.persist import load_model

    _check_out(out, data, label_files)
    uses_model = STRATEGIES.entry(strategy).info["model"] != "unused"
    loaded = load_model(resolve_model(model)) if uses_model else None
    tags_path = schema_path(tags_path, label_files, quiet=True)
    docs, schema = load_data(data, label_files, tags_path, max_doc_bytes,
                             known_tags=loaded.tags if loaded else None)
    pool = [d for d in docs if d.tags is None]
    titles = {d.id: d.title for d in pool}
    picks = pick(pool, model=loaded, n=n, strategy=strategy, schema=schema, seed=seed,
                 tags=focus)
    rows = [{**p.to_dict(), "title": titles[p.id]} for p in picks]
    _emit(rows, ["rank", "id", "how", "tags", "title"], fmt, out)
    if for_person(fmt) and not out:
        say(f"{len(picks)} of {len(pool)} unlabelled articles", err=True)


@main.command()
@data_options
@click.option("-k", "k", type=click.IntRange(1), default=50, show_default=True,
              help="How many suspect decisions to list, most likely wrong first.")
@settings_options
@click.option("--quiet", "-q", is_flag=True, help="No progress messages.")
@_rows_option
@handle_errors
def audit(data, label_files, tags_path, max_doc_bytes, k, quiet, fmt, out, **kwargs):
    """Which hand labels are probably wrong: confident learning on out-of-fold scores.

    Trains as `tagger train` does (same options, same cross-validation), then judges each
    (article, tag) decision by the probability the model gave the tag while the article
    was held out. Lists the suspects with the label given and the one suggested (0 or
    1), the probability of the suggested one, and the sentence behind a suggested tag.

    \b
    Example:
      tagger audit --data ../shared/corpus/ukraine-2022.jsonl --labels labels/reference-train.csv -k 20 --format csv
    """
    from ..evaluation.audit import audit as find

    _check_out(out, data, label_files)
    settings, search = settings_from(kwargs)
    tags_path = schema_path(tags_path, label_files, quiet)
    docs, schema = load_data(data, label_files, tags_path, max_doc_bytes)
    found = find(docs, schema=schema, settings=settings, search=search, k=k,
                 n_jobs=kwargs["n_jobs"])
    _emit([s.to_dict() for s in found], ["id", "tag", "given", "suggested", "confidence", "evidence"],
          fmt, out)
