import json

import pandas as pd
import pytest

from tagger.io.documents import iter_documents_lenient, read_documents
from tagger.io.records import Document
from tagger.errors import InputError

from conftest import SEEDS


def test_directory_of_txt_gives_one_document_per_file_with_stem_ids():
    docs = read_documents([SEEDS])
    assert [d.id for d in docs] == ["000_2c1dc2b1a7e2b655", "001_1f7d3d118abbfb20",
                                    "004_40f943de2ae17bec"]
    assert all(d.tags is None and len(d.text) > 1000 for d in docs)


def test_single_txt_file(tmp_path):
    p = tmp_path / "note.txt"
    p.write_text("Missiles hit Kyiv overnight.", encoding="utf-8")
    [doc] = read_documents([p])
    assert doc == Document(id="note", text="Missiles hit Kyiv overnight.")


def test_jsonl_puts_title_before_text_and_reads_tag_lists(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_text(json.dumps({"id": 7, "title": "Headline", "text": "Body.", "tags": ["a", "b"]})
                 + "\n\n" + json.dumps({"id": "x", "text": "Other.", "tags": "a; c"}) + "\n")
    a, b = read_documents([p])
    assert (a.id, a.content, a.tags) == ("7", "Headline\nBody.", ("a", "b"))
    assert (b.id, b.content, b.tags) == ("x", "Other.", ("a", "c"))


def test_csv_and_parquet_read_id_title_text(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b"], "title": ["T1", ""], "text": ["one", "two"],
                          "tags": ["x;y", ""]})
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_parquet(tmp_path / "d.parquet")
    for name in ("d.csv", "d.parquet"):
        a, b = read_documents([tmp_path / name])
        assert (a.content, a.tags) == ("T1\none", ("x", "y"))
        assert (b.content, b.tags) == ("two", ())


def test_csv_without_text_column_names_the_file(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("id,body\n1,hello\n")
    with pytest.raises(InputError, match=r"bad\.csv: has no 'text' column"):
        read_documents([p])


def test_malformed_jsonl_line_is_named(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_text('{"id": "a", "text": "fine"}\n{"id": "b", "text": \n')
    with pytest.raises(InputError, match=r"d\.jsonl, line 2: malformed JSON"):
        read_documents([p])


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"   \n", "is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "is a binary file"),
])
def test_unusable_txt_files_are_errors(tmp_path, content, message):
    p = tmp_path / "doc.txt"
    p.write_bytes(content)
    with pytest.raises(InputError, match=f"doc.txt: {message}"):
        read_documents([p])


def test_non_utf8_text_is_decoded_when_the_encoding_can_be_detected(tmp_path):
    text = ("The café near the river in Kherson was damaged, said Señora Müller, whose "
            "façade was hit. Officials said the attack déjà vu came at dawn. ") * 5
    p = tmp_path / "latin.txt"
    p.write_bytes(text.encode("latin-1"))
    [doc] = read_documents([p])
    assert "café" in doc.text and "Müller" in doc.text


def test_undetectable_encoding_is_an_error(tmp_path):
    import random

    rng = random.Random(0)
    p = tmp_path / "noise.txt"
    p.write_bytes(bytes(rng.randrange(1, 256) for _ in range(3000)))
    with pytest.raises(InputError, match="not UTF-8 and its encoding could not be detected"):
        read_documents([p])


def test_missing_path_and_duplicate_ids_are_errors(tmp_path):
    with pytest.raises(InputError, match="nope.txt: does not exist"):
        read_documents([tmp_path / "nope.txt"])
    (tmp_path / "a.jsonl").write_text('{"id": "1", "text": "x"}\n{"id": "1", "text": "y"}\n')
    with pytest.raises(InputError, match="duplicate document id"):
        read_documents([tmp_path / "a.jsonl"])


def test_lenient_reading_skips_bad_documents_and_keeps_going(tmp_path):
    (tmp_path / "a.txt").write_text("good text")
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / "c.jsonl").write_text('{"id": "1", "text": "ok"}\nnot json\n{"id": "2", "text": ""}\n')
    items = list(iter_documents_lenient([tmp_path]))
    kinds = [(type(i).__name__, i.id) for i in items]
    assert kinds == [("Document", "a"), ("Skipped", "b"), ("Document", "1"),
                     ("Skipped", "c.jsonl:2"), ("Skipped", "2")]


def test_reference_corpus_reads_whole(corpus_path):
    docs = read_documents([corpus_path])
    assert len(docs) == 4063
    assert all(d.title and d.text for d in docs[:50])
