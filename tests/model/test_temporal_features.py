"""Features meant to carry across years: names and numbers weighed less (name_weight), hard
negatives for the sentence scorers (hard_negative_weight), and model files from before."""

import json
import shutil

import numpy as np
import pytest

from conftest import FIXTURE_ARTICLES, FIXTURE_EVIDENCE, FIXTURE_LABELS, SCHEMA, TAGS
from tagger import Settings, SettingsError, attach_labels, load_model, load_schema, read_documents, train
from tagger.model.bootstrap import paired_difference
from tagger.model.evidence import keyword_finders, sentence_weights, tokenized
from tagger.model.features import keyword_lists
from tagger.model.persist import save_model
from tagger.text.names import name_like


def docs_with_evidence():
    return attach_labels(read_documents([FIXTURE_ARTICLES]), [FIXTURE_LABELS, FIXTURE_EVIDENCE],
                         known_tags=TAGS)


def fit(**settings):
    return train(docs_with_evidence(), schema=load_schema(SCHEMA), search=None,
                 settings=Settings(**{"folds": 3, "keyword_window": 15, **settings}))


def test_names_and_numbers_are_found_and_a_capital_starting_a_sentence_is_not_a_name():
    texts = ["Shelling hit Kherson again. Kherson was dark. Officials in Kherson said 155mm shells fell.",
             "Shelling resumed; the city of Kherson waited. Officials said so."]
    vocab = {w: i for i, w in enumerate(["kherson", "shelling", "officials", "said", "155mm",
                                         "officials said", "the city"])}
    names = dict(zip(vocab, name_like(vocab, texts)))
    assert names == {"kherson": True, "shelling": False, "officials": False, "said": False,
                     "155mm": True, "officials said": False, "the city": False}


def test_name_weight_scales_the_saved_idf_of_names_only_and_tagging_reads_it():
    plain, light = fit(), fit(name_weight=0.25)
    assert plain.vocabulary == light.vocabulary
    ratio = light.idf / plain.idf
    texts = [d.content for d in docs_with_evidence() if d.tags is not None]
    names = name_like(plain.vocabulary, texts)
    assert names.any() and not names.all()
    assert np.allclose(ratio[names], 0.25) and np.allclose(ratio[~names], 1.0)
    # the fast path and scikit-learn's vectorizer, given the saved IDF, agree
    fast = light.transform(texts)[:, :light.n_terms].toarray()
    assert np.allclose(fast, light.vectorizer.transform(texts).toarray())


def test_settings_refuse_a_name_weight_or_hard_negative_weight_out_of_bounds():
    for bad in (dict(name_weight=0.0), dict(name_weight=1.5), dict(hard_negative_weight=0.0)):
        with pytest.raises(SettingsError):
            Settings(**bad)


def test_hard_negatives_are_sentences_of_untagged_articles_naming_the_tags_keywords():
    docs = [d for d in docs_with_evidence() if d.tags is not None]
    keywords = keyword_lists(load_schema(SCHEMA), TAGS)
    corpus = tokenized(docs, TAGS, keywords)
    assert corpus.keyword.shape == corpus.labels.shape
    finders = keyword_finders(TAGS, keywords)
    k = TAGS.index("escalation_rhetoric")
    assert finders[k].search("a NUCLEAR threat") and not finders[k].search("nuclearise")
    W = sentence_weights(corpus, np.arange(len(corpus.labels)), 7.0)
    hard = corpus.keyword & (corpus.labels == 0)
    assert hard.any()
    assert (W[hard] == 7.0).all() and (W[~hard] == 1.0).all()
    assert sentence_weights(corpus, np.arange(len(corpus.labels)), 1.0) is None


@pytest.mark.slow  # seconds of training or a subprocess: the full suite runs it
def test_hard_negative_weight_changes_the_sentence_scorers_only():
    plain, hard = fit(sentences=True), fit(sentences=True, hard_negative_weight=10.0)
    assert plain.vocabulary == hard.vocabulary and np.array_equal(plain.idf, hard.idf)
    assert not np.allclose(plain.sentence_coef, hard.sentence_coef)


def test_a_model_file_from_before_the_new_settings_loads_and_tags_as_it_did(tmp_path):
    model = fit(sentences=True, sentence_cues=0.0)  # as models were built before them
    save_model(model, tmp_path / "m")
    meta_path = tmp_path / "m" / "model.json"
    meta = json.loads(meta_path.read_text())
    for name in ("name_weight", "hard_negative_weight", "sentence_cues", "ngram_weight"):
        del meta["settings"][name]
    old = tmp_path / "old"
    shutil.copytree(tmp_path / "m", old)
    (old / "model.json").write_text(json.dumps(meta))
    loaded = load_model(old)
    assert loaded.settings == model.settings
    texts = [d.content for d in docs_with_evidence()]
    assert np.array_equal(loaded.predict_proba(texts), load_model(tmp_path / "m").predict_proba(texts))


def test_paired_difference_is_zero_for_equal_decisions_and_signed_for_better_ones():
    Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]] * 5)
    same = paired_difference(Y, Y, Y, ["a", "b"])
    assert same["micro_f1"] == [0.0, 0.0, 0.0]
    worse = Y.copy()
    worse[:5, 0] = 1 - worse[:5, 0]
    d = paired_difference(Y, Y, worse, ["a", "b"])
    assert d["micro_f1"][0] > 0 and d["per_tag_f1"]["b"] == [0.0, 0.0, 0.0]
    assert d["micro_f1"][1] <= d["micro_f1"][0] <= d["micro_f1"][2]


def test_cue_features_say_who_speaks_and_how():
    from tagger.text.cues import NAMES, CueMatcher
    from tagger.text.sentences import sentences_of
    from tagger.text.tokens import tokenize

    tokens = tokenize(["The Kremlin spokesman warned of retaliation. Analysts say it might not happen."])
    found = sentences_of(tokens)
    sentence = np.searchsorted(found.start, tokens.starts, side="right") - 1
    F = dict(zip(NAMES, CueMatcher().features(tokens, sentence, len(found.doc)).T))
    assert F["official"].tolist() == [True, False] and F["threat"].tolist() == [True, False]
    assert F["official+threat"].tolist() == [True, False]
    assert F["commentary"].tolist() == [False, True] and F["modal"].tolist() == [False, True]
    assert F["negation"].tolist() == [False, True] and F["commentary+modal"].tolist() == [False, True]


def test_a_model_with_sentence_cues_saves_loads_and_tags_the_same(tmp_path):
    model = fit(sentences=True, sentence_cues=0.5)
    assert model.sentence_coef.shape == (len(TAGS), model.n_terms + model.n_sentence_cues)
    assert model.n_sentence_cues > 0 and np.abs(model.sentence_coef[:, model.n_terms:]).max() > 0
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    texts = [d.content for d in docs_with_evidence()]
    assert np.array_equal(loaded.predict_proba(texts), model.predict_proba(texts))
    # without its cue columns the arrays no longer fit the settings: refused
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["settings"]["sentence_cues"] = 0.0
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    from tagger import ModelError

    with pytest.raises(ModelError, match="sentence_coef has shape"):
        load_model(tmp_path / "m")


def test_ngram_weight_is_folded_into_the_saved_weights():
    plain, light = fit(keyword_window=0), fit(keyword_window=0, ngram_weight=0.5)
    texts = [d.content for d in docs_with_evidence()]
    # the saved model reads unscaled TF-IDF: its logits are the fitted classifier's on the
    # scaled features, and regularising the n-grams harder shrinks their weights
    X = light.vectorizer.transform(texts)
    z = np.asarray(X @ light.coef.T) + light.intercept
    assert np.allclose(z, light.analyse(texts).logits)
    assert np.abs(light.coef).sum() < np.abs(plain.coef).sum()
