"""`tagger suggest` and `tagger audit` on the fixture corpus: what they pick, and why."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import FIXTURE_ARTICLES, FIXTURE_LABELS, SCHEMA
from tagger import Settings, load_model, load_schema, read_documents
from tagger.cli import main
from tagger.evaluation.audit import audit, suspects
from tagger.evaluation.suggest import (NEAR_DUPLICATE, RANDOM_EVERY, UNCERTAIN_LOGIT,
                                       pool_vectors, suggest)
from tagger.labels.attach import read_labels


@pytest.fixture(scope="module")
def pool():
    return read_documents([FIXTURE_ARTICLES])


def gaps(model, docs):
    p = np.clip(model.predict_proba([d.content for d in docs]), 1e-9, 1 - 1e-9)
    t = np.clip(model.thresholds, 1e-9, 1 - 1e-9)
    return np.abs(np.log(p / (1 - p)) - np.log(t / (1 - t)))


def test_uncertain_picks_take_turns_by_tag_nearest_the_threshold(pool, fixture_model):
    model = load_model(fixture_model)
    g = gaps(model, pool)
    ids = [d.id for d in pool]
    T = len(model.tags)

    def by_turns(first):  # pick i: the nearest call of tag (first + i) mod T not yet taken
        taken, out = [], []
        for turn in range(8):
            k = (first + turn) % T
            out.append(next(ids[i] for i in np.argsort(g[:, k], kind="stable") if ids[i] not in taken))
            taken.append(out[-1])
        return out
    starts = set()
    for seed in range(6):
        picks = suggest(pool, model=model, n=8, strategy="uncertain", near_duplicate=1.0, seed=seed)
        (first,) = [s for s in range(T) if by_turns(s) == [p.id for p in picks]]
        starts.add(first)
        for turn, p in enumerate(picks):
            assert p.how == "uncertain"
            # why: the tags within one logit of their threshold (else the tag whose turn it was)
            near = {model.tags[j] for j in np.flatnonzero(g[ids.index(p.id)] <= UNCERTAIN_LOGIT)}
            assert set(p.tags) == (near or {model.tags[(first + turn) % T]})
    assert len(starts) > 1  # the first turn is drawn with the seed, not always the same tag's


def test_mixed_keeps_a_fifth_random_and_is_seeded(pool, fixture_model):
    model = load_model(fixture_model)
    picks = suggest(pool, model=model, n=20, strategy="mixed", seed=3, near_duplicate=1.0)
    assert [p.rank for p in picks if p.how == "random"] == list(range(RANDOM_EVERY, 21, RANDOM_EVERY))
    assert [p.id for p in picks] == [p.id for p in suggest(pool, model=model, n=20, strategy="mixed",
                                                           seed=3, near_duplicate=1.0)]
    other = suggest(pool, model=model, n=20, strategy="mixed", seed=4, near_duplicate=1.0)
    assert [p.id for p in other if p.how == "random"] != [p.id for p in picks if p.how == "random"]


def test_the_help_states_the_near_duplicate_bound_the_picks_use():
    # the command's help is written out (the CLI does not import numpy to build it), so it
    # must say the bound the library applies
    text = " ".join(CliRunner().invoke(main, ["suggest", "--help"]).output.split())
    assert f"TF-IDF cosine above {NEAR_DUPLICATE})" in text
    assert f"every {['', '', 'second', 'third', 'fourth', 'fifth'][RANDOM_EVERY]} pick" in text


def test_no_two_picks_are_near_duplicates(pool, fixture_model):
    twins = pool + [replace(d, id=d.id + "-copy") for d in pool]
    model = load_model(fixture_model)
    for strategy in ("mixed", "random", "cold"):
        picks = suggest(twins, model=model, n=40, strategy=strategy, schema=load_schema(SCHEMA))
        chosen = [d for d in twins if d.id in {p.id for p in picks}]
        X = pool_vectors(twins)[[twins.index(d) for d in chosen]]
        sims = (X @ X.T).toarray() - np.eye(len(chosen))
        assert sims.max() <= NEAR_DUPLICATE + 1e-9, strategy
        assert not any(d.id + "-copy" in {c.id for c in chosen} for d in chosen)


def test_cold_needs_no_model_and_starts_with_keyword_mentions(pool):
    picks = suggest(pool, n=10, strategy="cold", schema=load_schema(SCHEMA))
    assert picks and picks[0].how == "keywords" and all(v > 0 for v in picks[0].tags.values())
    with pytest.raises(Exception, match="ranks by a model"):
        suggest(pool, n=5, strategy="uncertain")


def test_suggest_command_leaves_labelled_articles_out_and_writes_csv(tmp_path, fixture_model):
    result = CliRunner().invoke(main, ["suggest", "--model", str(fixture_model), "--data",
                                       str(FIXTURE_ARTICLES), "--labels", str(FIXTURE_LABELS),
                                       "-n", "5", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows == []  # every fixture article is labelled: the pool is empty
    labels = tmp_path / "some.csv"
    labels.write_text("id,tags\nfx000,\nfx007,escalation_rhetoric\n")
    result = CliRunner().invoke(main, ["suggest", "--model", str(fixture_model), "--data",
                                       str(FIXTURE_ARTICLES), "--labels", str(labels), "--tags",
                                       str(SCHEMA), "-n", "5", "--format", "jsonl"])
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 5 and {"fx000", "fx007"}.isdisjoint(r["id"] for r in rows)
    assert list(rows[0]) == ["rank", "id", "how", "tags", "title"]


def test_suspects_follow_confident_learnings_per_tag_bars():
    Y = np.array([[1], [1], [1], [0], [0], [0]])
    p = np.array([[0.9], [0.8], [0.1], [0.2], [0.1], [0.85]])
    # bar for "has it": mean p of the tagged = 0.6; for "has not": mean 1-p of the others = 0.617
    assert suspects(Y, p) == [(2, 0, pytest.approx(0.9)), (5, 0, pytest.approx(0.85))]


@pytest.mark.slow  # trains models: the full suite runs it, not the fast tier
def test_audit_finds_a_flipped_label_first(fixture_docs):
    flipped = [replace(d, tags=("missile_strikes",)) if d.id == "fx002" else d for d in fixture_docs]
    found = audit(flipped, schema=load_schema(SCHEMA), settings=Settings(folds=3), k=5)
    assert (found[0].id, found[0].tag, found[0].given, found[0].suggested) == \
        ("fx002", "missile_strikes", 1, 0)
    assert found[0].evidence == ""  # evidence is for a suggested tag, not a removed one


@pytest.mark.slow  # trains models: the full suite runs it, not the fast tier
def test_audit_command_writes_the_documented_csv_columns(tmp_path):
    labels = tmp_path / "labels.csv"
    rows = FIXTURE_LABELS.read_text().splitlines()
    labels.write_text("\n".join("fx002,energy_attacks" if r.startswith("fx002,") else r
                                for r in rows) + "\n")
    out = tmp_path / "suspects.csv"
    result = CliRunner().invoke(main, ["audit", "--data", str(FIXTURE_ARTICLES), "--labels",
                                       str(labels), "--tags", str(SCHEMA), "--no-search",
                                       "--folds", "3", "-k", "3", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    found = list(csv.DictReader(out.open()))
    assert list(found[0]) == ["id", "tag", "given", "suggested", "confidence", "evidence"]
    assert {"id": found[0]["id"], "tag": found[0]["tag"], "given": found[0]["given"]} == \
        {"id": "fx002", "tag": "energy_attacks", "given": "1"}


# -- --tag: the picks spent on some tags only ------------------------------------------------
def test_with_tags_the_uncertain_picks_go_to_those_tags_only(pool, fixture_model):
    model = load_model(fixture_model)
    g = gaps(model, pool)
    ids = [d.id for d in pool]
    for focus in (["escalation_rhetoric"], ["air_defence_aid", "energy_attacks"]):
        ks = [model.tags.index(t) for t in focus]
        for seed in range(3):
            picks = suggest(pool, model=model, n=8, strategy="uncertain", near_duplicate=1.0,
                            seed=seed, tags=focus)
            assert len(picks) == 8 and all(p.how == "uncertain" for p in picks)
            taken: list[str] = []
            for turn, p in enumerate(picks):
                # each pick is the nearest call not yet taken of a focus tag, the tags in turn
                options = {next(ids[i] for i in np.argsort(g[:, k], kind="stable")
                                if ids[i] not in taken) for k in ks}
                assert p.id in options
                taken.append(p.id)
            if len(focus) == 1:  # the whole batch follows that tag's ranking
                order = [ids[i] for i in np.argsort(g[:, ks[0]], kind="stable")]
                assert [p.id for p in picks] == order[:8]
    everything = suggest(pool, model=model, n=8, strategy="uncertain", near_duplicate=1.0)
    assert [p.id for p in everything] != [p.id for p in suggest(
        pool, model=model, n=8, strategy="uncertain", near_duplicate=1.0, tags=["energy_attacks"])]


def test_with_tags_mixed_keeps_its_random_fifth(pool, fixture_model):
    model = load_model(fixture_model)
    picks = suggest(pool, model=model, n=10, strategy="mixed", tags=["escalation_rhetoric"])
    focus = suggest(pool, model=model, n=8, strategy="uncertain", tags=["escalation_rhetoric"])
    assert [p.how for p in picks].count("random") == 10 // RANDOM_EVERY
    assert [p.id for p in picks if p.how == "uncertain"][:4] == [p.id for p in focus][:4]


def test_with_tags_cold_starts_with_those_tags_keywords(pool):
    schema = load_schema(SCHEMA)
    picks = suggest(pool, n=6, strategy="cold", schema=schema, tags=["energy_attacks"])
    keyword_picks = [p for p in picks if p.how == "keywords"]
    assert keyword_picks and all(p.tags.get("energy_attacks", 0) > 0 for p in keyword_picks)
    mentions = [p.tags["energy_attacks"] for p in keyword_picks]
    assert mentions == sorted(mentions, reverse=True)


def test_tags_must_be_known_and_random_picks_take_none(pool, fixture_model):
    model = load_model(fixture_model)
    with pytest.raises(Exception, match="unknown tag 'nope'"):
        suggest(pool, model=model, n=5, tags=["nope"])
    with pytest.raises(Exception, match="without regard to tags"):
        suggest(pool, model=model, n=5, strategy="random", tags=["energy_attacks"])


def test_suggest_tag_on_the_command_line(tmp_path, fixture_model):
    model = load_model(fixture_model)
    args = ["suggest", "--model", str(fixture_model), "--data", str(FIXTURE_ARTICLES),
            "--labels", str(FIXTURE_LABELS), "-n", "6", "--format", "jsonl"]
    result = CliRunner().invoke(main, [*args, "--tag", "escalation_rhetoric", "-t", "missile_strikes"])
    assert result.exit_code == 0, result.output
    got = [json.loads(line)["id"] for line in result.output.splitlines()]
    labelled = read_labels(FIXTURE_LABELS)
    docs = [d for d in read_documents([FIXTURE_ARTICLES]) if d.id not in labelled]
    want = suggest(docs, model=model, n=6, tags=["escalation_rhetoric", "missile_strikes"])
    assert got == [p.id for p in want]
    bad = CliRunner().invoke(main, [*args, "--tag", "nope"])
    assert bad.exit_code == 1 and bad.output.startswith("Error: unknown tag 'nope' (known: ")


def test_the_labelling_pages_suggest_queue_spends_its_picks_on_the_tags_given(tmp_path,
                                                                            fixture_model):
    from tagger.app.session import Session
    from tagger.labels.database import LabelDB

    model = load_model(fixture_model)
    docs = read_documents([FIXTURE_ARTICLES])
    session = Session(db=LabelDB(tmp_path / "l.db"), docs=docs, schema=load_schema(SCHEMA),
                      model=model, queue="suggest", suggest_tags=("energy_attacks",))
    want = suggest(docs, model=model, n=10, tags=["energy_attacks"])
    assert session.queue_order()[:10] == [p.id for p in want]
    assert want != suggest(docs, model=model, n=10)
    result = CliRunner().invoke(main, ["label", "--data", str(FIXTURE_ARTICLES), "--db",
                                       str(tmp_path / "l.db"), "--tags", str(SCHEMA),
                                       "--tag", "energy_attacks", "--no-model"])
    assert result.exit_code == 2 and "--tag chooses the tags of --queue suggest" in result.output


def test_an_unknown_tag_for_the_suggest_queue_is_refused_before_anything_is_imported(tmp_path,
                                                                                    fixture_model):
    result = CliRunner().invoke(main, ["label", "--data", str(FIXTURE_ARTICLES), "--db",
                                       str(tmp_path / "l.db"), "--tags", str(SCHEMA),
                                       "--model", str(fixture_model), "--labels",
                                       str(FIXTURE_LABELS), "--queue", "suggest", "--tag", "nope"])
    assert result.exit_code == 1 and result.output.startswith("Error: unknown tag 'nope'")
    assert not (tmp_path / "l.db").exists()
