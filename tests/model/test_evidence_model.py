"""A model that learns from evidence sentences, and predictions that show their evidence."""

import csv
import io
import json

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.feature_extraction.text import CountVectorizer

from conftest import FIXTURE_ARTICLES, FIXTURE_EVIDENCE, FIXTURE_LABELS, TAGS
from tagger import Settings, attach_labels, load_model, read_documents, train
from tagger.cli import main
from tagger.model.evidence import corpus_rows, out_of_fold, tokenized
from tagger.model.sentencescores import sentence_rows
from tagger.text.featurizer import FEATURIZERS, make_featurizer
from tagger.text.sentences import split_sentences
from tagger.text.tokens import TOKEN_PATTERN


def articles():
    return {d["id"]: d for d in map(json.loads, FIXTURE_ARTICLES.read_text().splitlines())}


def predict_json(model_dir, *extra):
    result = CliRunner().invoke(main, ["predict", "--model", str(model_dir), "--format", "json",
                                       str(FIXTURE_ARTICLES), *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_model_trained_on_evidence_has_sentence_scorers_that_survive_saving(sentence_model):
    model = load_model(sentence_model)
    assert model.settings.sentences
    assert model.sentence_coef.shape == (len(TAGS), model.n_terms + model.n_sentence_cues)
    assert model.n_features == model.n_terms + model.n_keyword_features + len(TAGS)
    # the sentence features carry weight: each tag leans on its own sentence score
    own = model.coef[np.arange(len(TAGS)), model.n_features - len(TAGS) + np.arange(len(TAGS))]
    assert (own > 0).all()


@pytest.mark.parametrize("which", ["fixture_model", "sentence_model"])
def test_every_evidence_sentence_is_the_text_at_its_span(which, request):
    docs = articles()
    rows = predict_json(request.getfixturevalue(which))
    given = [r for r in rows if tags_of(r)]
    assert given
    for r in given:
        assert set(evidence_of(r)) == set(tags_of(r))
        for tag, (sentence, start, end) in evidence_of(r).items():
            text = docs[r["id"]]["text"]
            assert text[start:end] == sentence
            assert sentence in [s.text for s in split_sentences(text)]


def tags_of(record: dict) -> list[str]:
    """The tags a record in the output layout gives."""
    return [t for t in TAGS if record[t] in (True, "true")]


def evidence_of(record: dict) -> dict:
    """{tag: (sentence, start, end)} of a record in the output layout."""
    return {t: (record[f"{t}_evidence"], int(record[f"{t}_start"]), int(record[f"{t}_end"]))
            for t in TAGS if record[f"{t}_evidence"]}


def test_the_evidence_of_a_tag_is_the_sentence_written_for_it(sentence_model):
    evidence = {}
    for line in FIXTURE_EVIDENCE.read_text().splitlines():
        e = json.loads(line)
        evidence[(e["id"], e["tag"])] = e["evidence"][0]
    rows = predict_json(sentence_model)
    pairs = [(r["id"], t, e[0]) for r in rows for t, e in evidence_of(r).items()
             if (r["id"], t) in evidence]
    assert len(pairs) >= 20
    assert sum(evidence[(i, t)] == text for i, t, text in pairs) / len(pairs) >= 0.9


def test_no_evidence_leaves_it_out_and_changes_no_score(sentence_model):
    with_evidence = predict_json(sentence_model)
    without = predict_json(sentence_model, "--no-evidence")
    assert all(not evidence_of(r) for r in without)
    assert any(evidence_of(r) for r in with_evidence)
    scores = [c for t in TAGS for c in (t, f"{t}_score")]
    assert [[r[c] for c in ["id", *scores]] for r in without] == \
        [[r[c] for c in ["id", *scores]] for r in with_evidence]


def test_predicted_probabilities_equal_predict_proba(sentence_model):
    model = load_model(sentence_model)
    docs = read_documents([FIXTURE_ARTICLES])
    proba = model.predict_proba([d.content for d in docs])
    for p, row in zip(model.predict(docs), proba):
        assert [p.scores[t] for t in model.tags] == pytest.approx(row.tolist(), abs=1e-6)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_tag_outputs_carry_the_evidence(sentence_model, tmp_path, suffix):
    out = tmp_path / f"tags{suffix}"
    result = CliRunner().invoke(main, ["tag", str(FIXTURE_ARTICLES), "--out", str(out),
                                       "--model", str(sentence_model), "--quiet", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    docs = articles()
    if suffix == ".jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    elif suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(out.read_text())))
    else:
        import pyarrow.parquet as pq

        rows = pq.read_table(out).to_pylist()
    found = [(r["id"], t, *e) for r in rows for t, e in evidence_of(r).items()]
    assert {(i, t) for i, t, *_ in found} == {(r["id"], t) for r in rows for t in tags_of(r)}
    assert found
    for doc_id, _, text, start, end in found:
        assert docs[doc_id]["text"][start:end] == text


@pytest.mark.parametrize("path", FEATURIZERS)
def test_sentence_features_count_each_sentence_on_its_own(path):
    texts = ["Missiles struck Kyiv. Missiles struck Kyiv again! Nothing else.",
             "Title line\nAir defence arrived. Kyiv said thanks."]
    vocab = CountVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=(1, 2)).fit(texts).vocabulary_
    idf = np.linspace(1.0, 3.0, len(vocab))
    featurizer = make_featurizer(vocab, {"token_pattern": TOKEN_PATTERN, "ngram_range": (1, 2)},
                                 path=path)
    rows = sentence_rows(featurizer, featurizer.tokenize(texts), idf)
    got = {}
    for r, c, v in zip(rows.rows, rows.cols, rows.values):
        got[(int(r), int(c))] = got.get((int(r), int(c)), 0.0) + v
    sentences = [s.text for t in texts for s in split_sentences(t)]
    assert rows.n == len(sentences) == 6
    counts = CountVectorizer(vocabulary=vocab, token_pattern=TOKEN_PATTERN,
                             ngram_range=(1, 2)).transform(sentences).toarray()
    for i, row in enumerate(counts):
        norm = np.sqrt((row * idf ** 2).sum())
        for f in np.flatnonzero(row):
            assert got[(i, f)] == pytest.approx(row[f] * idf[f] / norm)
    assert len(got) == np.count_nonzero(counts)


def test_out_of_fold_sentence_features_never_see_their_own_labels(fixture_docs):
    docs = attach_labels(read_documents([FIXTURE_ARTICLES]),
                         [FIXTURE_LABELS, FIXTURE_EVIDENCE], known_tags=TAGS)
    n = len(docs)
    vec = CountVectorizer(token_pattern=TOKEN_PATTERN).fit([d.content for d in docs])
    idf = np.ones(len(vec.vocabulary_))
    groups = [np.arange(0, n, 2), np.arange(1, n, 2)]

    def features(labelled):
        corpus = tokenized(labelled, TAGS)
        X = corpus_rows(corpus, vec.vocabulary_, (1, 1), idf)
        return out_of_fold(X, corpus, n, np.arange(n), groups, C=1.0, seed=0)

    before = features(docs)
    # strip the labels and evidence of the first group: its own features must not change
    stripped = [d if i % 2 else type(d)(id=d.id, text=d.text, title=d.title, tags=(), evidence=())
                for i, d in enumerate(docs)]
    after = features(stripped)
    assert np.allclose(before[groups[0]], after[groups[0]])
    assert not np.allclose(before[groups[1]], after[groups[1]])


def test_sentences_are_searched_only_when_the_labels_carry_evidence(fixture_docs):
    base = Settings(folds=2, ngram_max=1, keyword_window=0)
    plain = train(fixture_docs, settings=base, search={"sentences": (False, True), "C": (10.0,)})
    assert not plain.settings.sentences
    assert all("sentences" not in r["settings"] for r in plain.metadata["search"])
    docs = attach_labels(read_documents([FIXTURE_ARTICLES]),
                         [FIXTURE_LABELS, FIXTURE_EVIDENCE], known_tags=TAGS)
    searched = train(docs, settings=base, search={"sentences": (False, True)})
    assert [r["settings"]["sentences"] for r in searched.metadata["search"]] == [False, True]


def test_a_model_file_missing_its_sentence_arrays_is_refused(sentence_model, tmp_path):
    import shutil
    import zipfile

    from tagger.errors import ModelError

    damaged = tmp_path / "m"
    shutil.copytree(sentence_model, damaged)
    with zipfile.ZipFile(sentence_model / "arrays.npz") as src, \
            zipfile.ZipFile(damaged / "arrays.npz", "w") as dst:
        for info in src.infolist():
            if not info.filename.startswith("sentence_"):
                dst.writestr(info, src.read(info))
    with pytest.raises(ModelError, match="members"):
        load_model(damaged)


@pytest.mark.slow  # starting worker processes takes seconds
def test_the_model_does_not_depend_on_how_many_processes_fit_it():
    docs = attach_labels(read_documents([FIXTURE_ARTICLES]),
                         [FIXTURE_LABELS, FIXTURE_EVIDENCE], known_tags=TAGS)
    settings = Settings(folds=3, ngram_max=1, keyword_window=0, sentences=True)
    one, two = (train(docs, settings=settings, search={"C": (10.0, 100.0)}, n_jobs=n) for n in (1, 2))
    assert np.array_equal(one.coef, two.coef) and np.array_equal(one.sentence_coef, two.sentence_coef)
    assert one.metadata["search"] == two.metadata["search"]


def test_the_recorded_command_fixes_the_same_settings_again(tmp_path):
    from conftest import TRAIN_FIXTURE

    fixed = ["--C", "30", "--keyword-window", "0", "--no-sentences", "--min-df", "1",
             "--sentence-C", "3", "--unlabelled-idf"]
    first = CliRunner().invoke(main, [*TRAIN_FIXTURE, *fixed, "--labels", str(FIXTURE_EVIDENCE),
                                      "--model", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    meta = json.loads((tmp_path / "a" / "model.json").read_text())
    import shlex

    args = shlex.split(meta["command"])
    for option in ("--C 30", "--keyword-window 0", "--no-sentences", "--min-df 1",
                   "--sentence-C 3", "--unlabelled-idf", "--folds 3", "--no-search"):
        assert option in meta["command"]
    args[args.index("--model") + 1] = str(tmp_path / "b")
    again = CliRunner().invoke(main, args[1:] + ["--quiet"])
    assert again.exit_code == 0, again.output
    assert json.loads((tmp_path / "b" / "model.json").read_text())["settings"] == meta["settings"]
