"""The fast n-gram counter must give exactly scikit-learn's counts and TF-IDF features."""

import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from conftest import reference_keyword_counts
from tagger.text.keywords import Lexicon
from tagger.text.ngrams import NgramCounter
from tagger.text.tokens import TOKEN_PATTERN, tokenize

TRICKY = [
    "İstanbul İZMİR and ISTANBUL",            # İ lowers to two characters
    "ΟΔΥΣΣΕΥΣ ΣΑΣ Σ ΑΣ",                      # Σ lowers to ς at the end of a word
    "flags 🇺🇦🇷🇺 and 𝐁𝐨𝐥𝐝 math letters 𝐁𝐨𝐥𝐝",  # astral symbols and astral word characters
    "snake_case under_score _x_ a b c 1 22 333",  # underscores, digits, one-letter words
    "Café CAFÉ café cafe\u0301 naïve Zürich",    # accents, a combining mark
    "Київ Харків — ракети, ракети! 北京 東京",      # Cyrillic, CJK
    "tab\tseparated\nnew line\r\nwindows  spaces",
    "x",                                          # no token at all
    "",
]


def assert_same_counts(texts, vocabulary, ngram_range):
    expected = CountVectorizer(vocabulary=vocabulary, ngram_range=ngram_range,
                               token_pattern=TOKEN_PATTERN).transform(texts)
    got = NgramCounter(vocabulary, ngram_range).transform(texts)
    assert got.shape == expected.shape
    assert (got != expected).nnz == 0


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (1, 3), (2, 2)])
def test_counts_equal_scikit_learn_on_unusual_text(ngram_range):
    vocab = CountVectorizer(ngram_range=ngram_range, token_pattern=TOKEN_PATTERN).fit(TRICKY).vocabulary_
    assert_same_counts(TRICKY, vocab, ngram_range)
    assert_same_counts(list(reversed(TRICKY)), vocab, ngram_range)


def test_counts_equal_scikit_learn_on_the_reference_corpus(corpus_path):
    texts = []
    with corpus_path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i % 7 == 0:
                d = json.loads(line)
                texts.append(f"{d['title']}\n{d['text']}")
    vocab = CountVectorizer(ngram_range=(1, 2), min_df=2, token_pattern=TOKEN_PATTERN).fit(texts[:300]).vocabulary_
    assert_same_counts(texts, vocab, (1, 2))


def test_model_features_equal_the_tfidf_vectorizer_and_ignore_batch_company(corpus_path):
    from tagger import load_model
    from conftest import SHIPPED_MODEL

    model = load_model(SHIPPED_MODEL)
    with corpus_path.open(encoding="utf-8") as fh:
        texts = [json.loads(next(fh))["text"] for _ in range(300)] + TRICKY
    vec = TfidfVectorizer(**{**model.vectorizer_params, "ngram_range": tuple(model.vectorizer_params["ngram_range"])})
    vec.vocabulary_, vec.idf_ = model.vocabulary, model.idf
    X = model.transform(texts).toarray()
    np.testing.assert_allclose(X[:, :model.n_terms], vec.transform(texts).toarray(),
                               rtol=1e-12, atol=1e-15)
    counts = reference_keyword_counts(texts, model.keywords, model.settings.keyword_window)
    n_kw = len(model.keywords)
    assert n_kw and X.shape[1] == model.n_terms + n_kw + model.n_sentence_features
    kw = X[:, model.n_terms:model.n_terms + n_kw]
    np.testing.assert_allclose(kw, np.log1p(counts) * model.settings.keyword_weight, rtol=1e-12)
    best = X[:, model.n_terms + n_kw:]  # each tag's best sentence score: a probability
    assert model.n_sentence_features == 0 or (best.min() >= 0 and best.max() <= 1 and best.max() > 0.9)
    together = model.predict_proba(texts)
    alone = np.vstack([model.predict_proba([t]) for t in texts[::37]])
    assert np.array_equal(together[::37], alone)  # bit for bit, whatever the batch


def lexicon_counts(texts, lists, window):
    lexicon = Lexicon([x["keywords"] for x in lists], [x["context"] for x in lists], window)
    return lexicon.counts(tokenize(texts)).tolist()


def test_keyword_mentions_count_only_with_a_context_word_within_the_window():
    lists = [{"keywords": ["air defence", "IRIS-T"], "context": ["sent", "pledged"]},
             {"keywords": ["missile"], "context": []}]
    texts = [
        "Germany sent an Air-Defence system.",            # context before, punctuation inside
        "air defence one two sent",                       # 'sent' 3 words after 'defence'
        "air defence one two three sent",                 # 4 words after: out of reach (window 3)
        "pledged one two IRIS-T",                         # 3 words before: in reach
        "pledged one two three Iris-T",                   # 4 before: out of reach
        "missile, MISSILE; missiles",                     # no context needed; plural is another word
        "x y z",
    ]
    got = lexicon_counts(texts, lists, 3)
    assert got == [[1, 0], [1, 0], [0, 0], [1, 0], [0, 0], [0, 2], [0, 0]]
    assert got == reference_keyword_counts(texts, lists, 3)


def test_keyword_context_and_phrases_never_reach_across_documents():
    lists = [{"keywords": ["air defence"], "context": ["sent"]}]
    texts = ["they sent", "air defence arrived", "more air", "defence sent"]
    # 'sent' ends the document before; 'air' + 'defence' are split between documents
    assert lexicon_counts(texts, lists, 5) == [[0], [0], [0], [0]]
    assert lexicon_counts(["they sent air defence arrived"], lists, 5) == [[1]]


def test_keyword_counts_equal_the_obvious_count_on_the_corpus(corpus_path):
    from tagger.labels.tagschema import load_schema
    from conftest import SCHEMA

    lists = [{"keywords": t.keywords, "context": t.context} for t in load_schema(SCHEMA).tags]
    with corpus_path.open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line, _ in zip(fh, range(150))] + TRICKY
    for window in (1, 15):
        got = lexicon_counts(texts, lists, window)
        assert got == reference_keyword_counts(texts, lists, window)
    assert np.array(got).sum(axis=0).min() > 0  # every list matched something


def test_the_character_tables_agree_with_re_and_str_lower():
    import re

    from tagger.text.tokens import MAX_CODEPOINT, SPACE, WORD, char_tables

    tables = char_tables()
    everything = np.arange(MAX_CODEPOINT, dtype=np.uint32).tobytes().decode("utf-32-le",
                                                                              "surrogatepass")
    for pattern, bit in ((r"\w+", WORD), (r"\s+", SPACE)):
        expected = np.zeros(MAX_CODEPOINT, dtype=bool)
        for run in re.finditer(pattern, everything):
            expected[run.start():run.end()] = True
        expected[ord("\n")] = bit == WORD and False  # the line break has a class of its own
        assert np.array_equal((tables.classes & bit) != 0, expected), pattern
    word = (tables.classes & WORD) != 0
    rng = np.random.default_rng(0)
    sample = np.unique(np.concatenate([np.arange(0x3000), rng.integers(0, MAX_CODEPOINT, 20000)]))
    for cp in sample[(sample < 0xD800) | (sample > 0xDFFF)].tolist():
        c = chr(cp)
        if c in "\u0130\u03a3":  # the two left to str.lower itself
            continue
        assert chr(tables.lower[cp]) == c.lower(), hex(cp)
        assert word[cp] == word[ord(c.lower())], hex(cp)


def thue_morse(n: int) -> list[int]:
    bits = [0]
    while len(bits) < n:
        bits += [1 - b for b in bits]
    return bits[:n]


@pytest.mark.parametrize("kernel", [True, False])
def test_a_vocabulary_the_fast_counter_cannot_key_exactly_is_refused(monkeypatch, kernel):
    """Terms that are not word tokens joined by single spaces, and two words whose hashes
    collide (Thue-Morse words: polynomial hashes modulo 2**64 of them and their complement
    agree, whatever the base), are refused; make_featurizer then takes scikit-learn's path."""
    from tagger.text import compiled

    if not kernel:
        monkeypatch.setattr(compiled, "kernel", None)
    for term in ("ab.", "ab  cd", " ab", "ab-cd", "ab c", "ab\tcd", "ab cd "):
        with pytest.raises(ValueError, match="single word tokens"):
            NgramCounter({"xy": 0, term: 1}, (1, 3))
    bits = thue_morse(2048)
    a, b = ("".join(pair[x] for x in bits) for pair in ("ab", "ba"))
    hashes = tokenize([a, b], lower=False).hashes
    assert hashes[0] == hashes[1]  # the collision is real
    with pytest.raises(ValueError, match="hash collision"):
        NgramCounter({"xy": 0, f"zz {a}": 1, b: 2}, (1, 2))
    counter = NgramCounter({"ab cd": 0, "ab": 1, "cd ab ef": 2, "İstanbul": 3}, (1, 3))
    assert counter.n_tokens == 4 and counter.transform(["AB cd ab ef"]).toarray().tolist() == [[1, 2, 1, 0]]
