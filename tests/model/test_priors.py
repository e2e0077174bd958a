"""A batch's tag rates estimated without labels (EM, Saerens et al. 2002), and --adapt-priors."""

import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import FIXTURE_ARTICLES, SEEDS, SHIPPED_MODEL
from tagger import batch, load_model
from tagger.cli import main
from tagger.errors import TaggerError
from tagger.model.priors import (MIN_DOCUMENTS, PriorEstimate, adapt, adapted_model, adjust,
                                 estimate_priors, training_priors)


@pytest.fixture(scope="module")
def shipped():
    return load_model(SHIPPED_MODEL)


def calibrated_scores(rng, n: int, rate: float, training_rate: float, separation: float = 2.0):
    """Labels drawn at ``rate`` and the exact posteriors of a classifier calibrated at
    ``training_rate``: one score per document, Gaussian within each class."""
    y = rng.random(n) < rate
    x = rng.normal(np.where(y, separation / 2, -separation / 2), 1.0)
    logit = separation * x + np.log(training_rate / (1 - training_rate))
    return 1 / (1 + np.exp(-logit)), y


def test_em_recovers_a_known_shift_of_each_tags_rate():
    rng = np.random.default_rng(0)
    columns, truth = [], []
    for rate in (0.05, 0.3, 0.7):  # the rate fell, stayed, rose; trained at 0.3 each time
        p, y = calibrated_scores(rng, 20000, rate, 0.3)
        columns.append(p)
        truth.append(y.mean())
    P = np.column_stack(columns)
    est = estimate_priors(P, [0.3, 0.3, 0.3], ["fell", "same", "rose"])
    assert np.allclose(est.estimated, truth, atol=0.015)
    assert abs(P[:, 0].mean() - truth[0]) > 0.05  # the plain mean score is far off: EM is needed
    assert est.converged.all() and (est.iterations < 200).all()
    # adjusted scores are calibrated for the new rate: their mean is the estimated rate
    assert np.allclose(est.adjust(P).mean(axis=0), est.estimated, atol=1e-5)
    assert est.to_dict()["tags"]["rose"]["training"] == 0.3


def test_the_mean_estimate_is_the_first_step_of_em():
    rng = np.random.default_rng(1)
    P = np.column_stack([calibrated_scores(rng, 5000, rate, 0.3)[0] for rate in (0.1, 0.6)])
    mean = estimate_priors(P, [0.3, 0.3], method="mean")
    assert np.allclose(mean.estimated, P.mean(axis=0)) and (mean.iterations == 1).all()
    assert np.allclose(mean.estimated, estimate_priors(P, [0.3, 0.3], max_iterations=1).estimated)
    assert mean.to_dict()["method"] == "mean"
    with pytest.raises(TaggerError, match="unknown way"):
        estimate_priors(P, [0.3, 0.3], method="median")


def test_adjustment_is_the_formula_of_saerens_et_al():
    p, pi, new = np.array([[0.2], [0.9]]), np.array([0.3]), np.array([0.1])
    r1, r0 = new / pi, (1 - new) / (1 - pi)
    assert np.allclose(adjust(p, pi, new), r1 * p / (r1 * p + r0 * (1 - p)))
    assert np.allclose(adjust(p, pi, pi), p)


def test_degenerate_scores_stay_finite_and_iterations_bounded():
    P = np.column_stack([np.zeros(50), np.ones(50), np.r_[np.zeros(25), np.ones(25)]])
    est = estimate_priors(P, [0.2, 0.2, 0.2], max_iterations=40)
    assert np.isfinite(est.estimated).all() and (est.iterations <= 40).all()
    assert est.estimated[0] < 0.01 and est.estimated[1] > 0.99
    assert abs(est.estimated[2] - 0.5) < 0.01
    assert np.isfinite(est.shift).all()
    with pytest.raises(TaggerError, match=f"at least {MIN_DOCUMENTS} documents"):
        estimate_priors(P[:MIN_DOCUMENTS - 1], [0.2, 0.2, 0.2])


def test_training_rates_are_the_labelled_rates_or_one_half_where_uncalibrated(shipped):
    model = shipped
    meta = model.metadata
    rates = training_priors(model)
    n = meta["n_train_docs"]
    assert np.allclose(rates, [meta["tag_counts"][t] / n for t in model.tags])
    calibration = dict(meta["calibration"], missile_strikes={"a": 1.0, "b": 0.0})
    uncalibrated = replace(model, metadata={**meta, "calibration": calibration})
    assert training_priors(uncalibrated)[0] == 0.5


def test_an_adapted_model_moves_each_logit_by_the_log_odds_shift(shipped):
    model = shipped
    intercept = model.intercept.copy()
    texts = [json.loads(line)["text"] for line in FIXTURE_ARTICLES.read_text().splitlines()]
    adapted, est = adapt(model, texts)
    assert isinstance(est, PriorEstimate) and est.n_docs == len(texts)
    assert np.allclose(adapted.predict_proba(texts), est.adjust(model.predict_proba(texts)),
                       atol=1e-9)
    assert np.array_equal(adapted.thresholds, model.thresholds)
    assert np.array_equal(model.intercept, intercept)  # left as it was


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def adapted_run(out, jobs: str):
    result = run("tag", FIXTURE_ARTICLES, "--out", out, "-j", jobs, "--batch-size", "7",
                 "--adapt-priors", "em", "-m", SHIPPED_MODEL)
    assert result.exit_code == 0, result.output
    assert "tag rates adapted (em; training -> estimated): missile_strikes" in result.output
    return out.read_bytes()


def test_tag_with_adapt_priors_is_predicts_and_the_same_whatever_jobs(tmp_path, shipped):
    assert adapted_run(tmp_path / "j1.jsonl", "1") == adapted_run(tmp_path / "j2.jsonl", "2")
    predicted = run("predict", FIXTURE_ARTICLES, "-f", "json", "--adapt-priors", "em",
                    "-m", SHIPPED_MODEL)
    assert predicted.exit_code == 0, predicted.output
    records = [json.loads(line) for line in (tmp_path / "j1.jsonl").read_text().splitlines()]
    assert records == json.loads(predicted.stdout)
    drift = json.loads((tmp_path / "j1.jsonl.drift.json").read_text())
    rates = drift["adapted_priors"]["tags"]
    assert drift["adapted_priors"]["documents"] == 48 and set(rates) == set(shipped.tags)
    # the fixture's articles are mostly about parks and football: the rates fall, taken together
    assert sum(r["estimated"] for r in rates.values()) < 0.8 * sum(r["training"] for r in rates.values())


@pytest.mark.slow
def test_workers_that_cannot_fork_are_sent_the_adapted_model(tmp_path, monkeypatch):
    from tagger.batch import engines

    forked = adapted_run(tmp_path / "fork.jsonl", "2")
    monkeypatch.setattr(engines, "_can_fork", lambda: False)  # loky: models travel by pickle
    assert adapted_run(tmp_path / "loky.jsonl", "2") == forked


def test_without_the_option_the_output_is_as_before(tmp_path):
    plain = tmp_path / "plain.jsonl"
    summary = batch.tag_files([FIXTURE_ARTICLES], plain, model_dir=SHIPPED_MODEL, jobs=1)
    assert summary.priors is None and "adapted" not in summary.line()
    assert "adapted_priors" not in json.loads((tmp_path / "plain.jsonl.drift.json").read_text())
    predicted = run("predict", FIXTURE_ARTICLES, "-f", "json", "-m", SHIPPED_MODEL)
    assert [json.loads(line) for line in plain.read_text().splitlines()] == json.loads(predicted.stdout)
    adapted = tmp_path / "adapted.jsonl"
    batch.tag_files([FIXTURE_ARTICLES], adapted, model_dir=SHIPPED_MODEL, jobs=1, adapt_priors="mean")
    assert adapted.read_bytes() != plain.read_bytes()  # the option changes the scores


def test_too_few_documents_is_a_one_line_error(tmp_path):
    result = run("predict", SEEDS, "--adapt-priors", "em", "-m", SHIPPED_MODEL)
    assert result.exit_code == 1 and "needs at least" in result.output
    assert "Traceback" not in result.output


def test_the_training_rate_is_what_calibrated_scores_average_on_the_labelled_documents(fixture_docs):
    import tagger

    from conftest import SCHEMA

    model = tagger.train(fixture_docs, schema=tagger.load_schema(SCHEMA),
                         settings=tagger.Settings(folds=3), search=None)
    rates = training_priors(model)
    calibrated = [k for k, t in enumerate(model.tags)
                  if model.metadata["calibration"][t] != {"a": 1.0, "b": 0.0}]
    assert calibrated  # Platt scaling fitted on out-of-fold logits: its mean is the label rate
    assert np.allclose(model.out_of_fold.mean(axis=0)[calibrated], rates[calibrated], atol=0.02)
    assert all(rates[k] == 0.5 for k in range(len(model.tags)) if k not in calibrated)
