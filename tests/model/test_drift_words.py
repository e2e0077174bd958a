"""The words of the training documents, looked up as sorted hashes or as a hash table: the
same count of tokens the model has never seen."""

import numpy as np

from conftest import SHIPPED_MODEL, fixture_texts
from tagger import load_model
from tagger.model.drift import unseen_tokens, word_index


def test_the_word_index_counts_the_unseen_tokens_the_sorted_words_count():
    model = load_model(SHIPPED_MODEL)
    texts = [*fixture_texts(), "Zorblat quixotrem wubbified the glarps near Kharkiv."]
    analysis = model._slice(texts, False)
    by_search = unseen_tokens(analysis, texts, model.training_words)
    by_index = unseen_tokens(analysis, texts, word_index(model.training_words))
    assert by_search == by_index and by_search[1] >= 4  # the invented words, at least
    assert unseen_tokens(analysis, texts, None) == (by_search[0], 0)
    assert word_index(None) is None
    empty = np.zeros(0, dtype=np.uint64)
    assert unseen_tokens(analysis, texts, word_index(empty)) == unseen_tokens(analysis, texts, empty)
