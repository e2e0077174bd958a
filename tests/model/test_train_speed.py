"""Training fast enough for the loop: shared work made once gives the same model, the model
does not depend on how many processes fit it, and progress is shown off a terminal."""

import json
import re
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.feature_extraction.text import TfidfVectorizer

from conftest import FIXTURE_ARTICLES, FIXTURE_EVIDENCE, FIXTURE_LABELS, SCHEMA, TAGS, TRAIN_FIXTURE
from tagger import Settings, attach_labels, read_documents, train
from tagger.batch.progress import ProgressLines
from tagger.cli import main
from tagger.model.core import vectorizer_params
from tagger.model.counts import fold_tfidf, term_counts
from tagger.model.evidence import tokenized
from tagger.model.features import fold_matrices, vocabulary_key
from tagger.model.persist import save_model


def evidence_docs():
    return attach_labels(read_documents([FIXTURE_ARTICLES]), [FIXTURE_LABELS, FIXTURE_EVIDENCE],
                         known_tags=TAGS)


def bitwise_equal(a, b) -> bool:
    """Same matrix in the same storage order, to the bit."""
    return (a.shape == b.shape and np.array_equal(a.indptr, b.indptr)
            and np.array_equal(a.indices, b.indices) and a.data.tobytes() == b.data.tobytes())


@pytest.mark.parametrize("params", [dict(ngram_range=(1, 1), min_df=2),
                                    dict(ngram_range=(1, 2), min_df=1, max_df=0.5),
                                    dict(ngram_range=(1, 3), min_df=2, sublinear_tf=False)])
def test_a_folds_tfidf_from_counts_made_once_is_the_vectorizers_own_to_the_bit(params):
    texts = [d.content for d in read_documents([FIXTURE_ARTICLES])]
    make = lambda: TfidfVectorizer(**{**vectorizer_params(Settings()), **params})  # noqa: E731
    counts = term_counts(make(), texts)
    rng = np.random.default_rng(0)
    for _ in range(3):
        order = rng.permutation(len(texts))
        tr, te = np.sort(order[:30]), np.sort(order[30:])
        vec = make()
        X_train = vec.fit_transform([texts[i] for i in tr])
        X_test = vec.transform([texts[i] for i in te])
        a, b, fitted = fold_tfidf(make(), counts, tr, te)
        assert bitwise_equal(X_train, a) and bitwise_equal(X_test, b)
        assert fitted.vocabulary_ == vec.vocabulary_
        assert fitted.idf_.tobytes() == vec.idf_.tobytes()


def test_matrices_made_once_for_many_candidates_equal_those_made_for_each_alone():
    docs = evidence_docs()
    texts = [d.content for d in docs]
    splits = [(np.flatnonzero(np.arange(len(docs)) % 3 != f), np.flatnonzero(np.arange(len(docs)) % 3 == f))
              for f in range(3)]
    corpus = tokenized(docs, TAGS)
    base = Settings(folds=3, min_df=1)
    candidates = [replace(base, ngram_max=n, sentences=s) for n in (1, 2) for s in (False, True)]
    together = fold_matrices(candidates, texts, texts, splits, corpus, n_jobs=1)
    for cand in candidates:
        alone = fold_matrices([cand], texts, texts, splits, corpus, n_jobs=1)[vocabulary_key(cand)]
        for (Xtr, Xte, S), (Xtr1, Xte1, S1) in zip(together[vocabulary_key(cand)][0], alone[0]):
            assert bitwise_equal(Xtr, Xtr1) and bitwise_equal(Xte, Xte1)
            assert (S is None) == (not cand.sentences)
            assert S is None or S.tobytes() == S1.tobytes()


def test_each_candidate_of_a_search_scores_as_it_does_trained_alone():
    docs = evidence_docs()  # with and without sentence features, the two share their TF-IDF
    base = Settings(folds=2, min_df=1, keyword_window=0, C=30.0)
    searched = train(docs, settings=base, search={"sentences": (False, True)}, n_jobs=1)
    for row in searched.metadata["search"]:
        alone = train(docs, settings=replace(base, **row["settings"]), search=None, n_jobs=1)
        assert alone.metadata["cv"]["micro"]["f1"] == row["micro_f1"]
        if alone.settings == searched.settings:
            assert alone.coef.tobytes() == searched.coef.tobytes()
            assert alone.out_of_fold.tobytes() == searched.out_of_fold.tobytes()


def model_bytes(model, directory):
    save_model(model, directory)
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def deterministic_training(n_jobs):
    settings = Settings(folds=2, min_df=1, keyword_window=0, sentences=True)
    return train(evidence_docs(), settings=settings, search={"C": (10.0, 100.0)}, n_jobs=n_jobs)


@pytest.mark.slow  # seconds of training or a subprocess: the full suite runs it
def test_training_twice_writes_the_same_model_files_to_the_byte(tmp_path):
    assert model_bytes(deterministic_training(1), tmp_path / "a") == \
        model_bytes(deterministic_training(1), tmp_path / "b")


@pytest.mark.slow  # starting worker processes takes seconds on a busy machine
def test_the_model_files_do_not_depend_on_how_many_processes_fit_it(tmp_path):
    assert model_bytes(deterministic_training(1), tmp_path / "a") == \
        model_bytes(deterministic_training(2), tmp_path / "b")


def test_progress_lines_tell_the_time_left():
    now = iter([0.0, 10.0, 30.0])
    lines = []

    class Out:
        def write(self, s):
            lines.append(s)

        def flush(self):
            pass

    bar = ProgressLines(4, "training", "fit", Out(), clock=lambda: next(now))
    bar.update(1)
    bar.update(2)
    text = "".join(lines).splitlines()
    assert text == ["training: 1/4 fits, 0:10 elapsed, about 0:30 left",
                    "training: 3/4 fits, 0:30 elapsed, about 0:10 left"]


LINE = re.compile(r"^(training|cross-validating): (\d+)/(\d+) (fit|fold)s, \d+:\d\d elapsed, "
                  r"about \d+:\d\d left$")


@pytest.mark.slow  # seconds of training or a subprocess: the full suite runs it
def test_train_and_cross_validation_print_a_line_per_step_off_a_terminal(tmp_path):
    base = [a for a in TRAIN_FIXTURE if a not in ("--no-search", "--quiet")]
    result = CliRunner().invoke(main, [*base, "--C", "10", "--ngram-max", "1", "--no-sentences",
                                       "--folds", "2", "--model", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    lines = [l for l in result.stderr.splitlines() if LINE.match(l)]
    searched = len(json.loads((tmp_path / "m" / "model.json").read_text())["search"])
    assert [LINE.match(l).group(2, 3) for l in lines] == \
        [(str(i), str(searched + 1)) for i in range(1, searched + 2)]
    result = CliRunner().invoke(main, ["evaluate", "--cv", "2", "--data", str(FIXTURE_ARTICLES),
                                       "--labels", str(FIXTURE_LABELS), "--tags", str(SCHEMA),
                                       "--no-search", "--folds", "2"])
    assert result.exit_code == 0, result.output
    assert [l for l in result.stderr.splitlines() if l.startswith("cross-validating")] == \
        [l for l in result.stderr.splitlines() if LINE.match(l)]
    assert len([l for l in result.stderr.splitlines() if LINE.match(l)]) == 2


def test_quiet_training_prints_no_progress(tmp_path):
    result = CliRunner().invoke(main, [*TRAIN_FIXTURE, "--model", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
