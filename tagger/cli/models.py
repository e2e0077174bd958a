"""`tagger info` and `tagger card`: what a model is, for the person about to use it."""

from __future__ import annotations

import click

from .commands import main
from .options import handle_errors, model_option, resolve_model, say


@main.command()
@model_option()
@click.option("--json", "as_json", is_flag=True,
              help="Print the raw metadata (model.json) instead of the summary.")
@handle_errors
def info(model, as_json):
    """Summarise a model: its data, dates, tags, scores and how to rebuild it.

    The training data's size and date range, each tag's threshold and cross-validated F1
    with its 95% interval, the settings, and the command that rebuilt it.

    \b
    Examples:
      tagger info
      tagger info --model model-2022 --json | python -m json.tool
    """
    from ..model.persist import CARD_FILE, META_FILE, load_model
    from ..reports.text import model_summary

    path = resolve_model(model)
    loaded = load_model(path)  # validates it before printing what it holds
    if as_json:
        click.echo((path / META_FILE).read_text(encoding="utf-8"), nl=False)
        return
    say(model_summary(loaded, path))
    card = path / CARD_FILE
    say(f"card: {card}" if card.is_file() else "card: none (tagger card writes one)")
    say("raw metadata: tagger info --json")


@main.command()
@model_option()
@click.option("--out", "-o", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the card here instead (- for standard output) [default: "
                   "MODEL/README.md].")
@click.option("--name", help="The model's name in the card's title [default: the directory's name].")
@click.option("--eval", "eval_files", multiple=True, type=click.Path(dir_okay=False),
              help="Add the scores in this file (tagger evaluate --json, on articles the model "
                   "was not trained on) to the model and its card (repeatable).")
@handle_errors
def card(model, out, name, eval_files):
    """Write a model card: README.md in the model directory, in Hugging Face's layout.

    Intended use, the tags and their definitions, the training data and its dates,
    per-tag cross-validated scores with 95% intervals, limits, and how to rebuild the model.
    The model loads with its card beside it; no other extra file is accepted.

    --eval adds scores on articles the model was not trained on, named by their data files
    and dates, to the model's metadata (model.json, rewritten atomically), so that every
    card written after shows them; scores on the same files and dates replace the old ones.

    \b
    Examples:
      tagger card --model model-2022
      tagger card --out -
      tagger evaluate --model model-2022 --data ../shared/corpus/economist-2023-2025.jsonl \\
        --labels labels/economist-random.csv --json scores.json
      tagger card --model model-2022 --eval scores.json
    """
    from ..evaluation.heldout import held_out_scores, keep_held_out
    from ..io.files import write_text_atomic
    from ..model.persist import load_model, save_model
    from ..reports.card import model_card, write_card

    path = resolve_model(model)
    loaded = load_model(path)
    name = name or path.name
    if eval_files:
        keep_held_out(loaded, [held_out_scores(loaded, f) for f in eval_files])
        save_model(loaded, path, card=model_card(loaded, name=name))  # its card with it
        say(f"held-out scores ({len(eval_files)} file{'s' if len(eval_files) > 1 else ''}) "
                   f"-> {path / 'model.json'}, model card -> {path / 'README.md'}", err=out == "-")
        if not out:
            return
    if out == "-":
        say(model_card(loaded, name=name), nl=False)
        return
    if out:
        write_text_atomic(out, model_card(loaded, name=name))
        written = out
    else:
        written = write_card(loaded, path, name=name)
    say(f"model card -> {written}")
