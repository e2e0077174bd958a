"""The sentence splitter: spans into the original text, on the cases news text holds."""

import json

import pytest


from tagger.text.sentences import sentences_of, split_sentences
from tagger.text.tokens import tokenize


def texts(text):
    return [s.text for s in split_sentences(text)]


@pytest.mark.parametrize("text, expected", [
    ('Missiles struck Kyiv. "We will respond," he said. Then he left!',
     ["Missiles struck Kyiv.", '"We will respond," he said.', "Then he left!"]),
    ('He said "No." Officials agreed.', ['He said "No."', "Officials agreed."]),
    ("Gen. Milley met Mr. Austin at 3 p.m. on Tuesday. The U.S. sent aid.",
     ["Gen. Milley met Mr. Austin at 3 p.m. on Tuesday.", "The U.S. sent aid."]),
    ("J. K. Rowling wrote it. She lives at No. 10 Downing Street. He said no. It ended.",
     ["J. K. Rowling wrote it.", "She lives at No. 10 Downing Street.", "He said no.", "It ended."]),
    ("Was it a drone? Nobody knows. (It was.) Yes.",
     ["Was it a drone?", "Nobody knows.", "(It was.)", "Yes."]),
    ("Ukraine war latest\nRussia launched 40 missiles overnight.",
     ["Ukraine war latest", "Russia launched 40 missiles overnight."]),
    ("What was sent:\n- Patriot batteries.\n* IRIS-T launchers\n2) NASAMS",
     ["What was sent:", "Patriot batteries.", "IRIS-T launchers", "NASAMS"]),
    ("the price was 3.5 per cent. it rose", ["the price was 3.5 per cent. it rose"]),
    ("", []),
    ("   \n\n  ", []),
])
def test_sentences_of_news_text(text, expected):
    assert texts(text) == expected


@pytest.mark.parametrize("text", ["  Leading space. Trailing space.  ", "A.\n\nB! C?\r\nD",
                                  "Один. Два. Три.", "«Quoted.» Next one."])
def test_spans_are_exact_offsets_into_the_original(text):
    for s in split_sentences(text):
        assert text[s.start:s.end] == s.text and s.text == s.text.strip()


def test_a_chunk_of_texts_splits_as_each_text_alone():
    chunk = ["First one. Second one.", "", "- bullet\nTitle\nMr. Smith came. He left.",
             "No. 5 is here. Yes.", "  spaced out.  ", "ΣΑΣ İzmir. Then more."]
    found = sentences_of(tokenize(chunk))
    got = [[] for _ in chunk]
    for d, a, b in zip(found.doc.tolist(), found.start.tolist(), found.end.tolist()):
        got[d].append(chunk[d][a:b])
    assert got == [texts(t) for t in chunk]
    assert got[2] == ["bullet", "Title", "Mr. Smith came.", "He left."]


def test_long_runs_of_spaces_and_quotes_are_walked_to_their_end():
    text = "It ended." + '"' * 50 + " " * 5000 + "Then more.\n" + " " * 3000
    assert texts(text) == ["It ended." + '"' * 50, "Then more."]


@pytest.mark.corpus
def test_most_evidence_sentences_are_one_split_sentence(shared_dir):
    docs = {}
    for name in ("ukraine-2022.jsonl", "economist-2023-2025.jsonl"):
        for line in (shared_dir / "corpus" / name).open(encoding="utf-8"):
            d = json.loads(line)
            docs[d["id"]] = d
    n = exact = 0
    for name in ("reference-train-evidence.jsonl", "economist-random-evidence.jsonl"):
        for line in (shared_dir / "labels" / name).open(encoding="utf-8"):
            e = json.loads(line)
            d = docs[e["id"]]
            found = set(texts(d["text"])) | set(texts(d.get("title") or ""))
            n += len(e["evidence"])
            exact += sum(s in found for s in e["evidence"])
    assert n == 910 and exact / n >= 0.95  # 881 of 910 when written
