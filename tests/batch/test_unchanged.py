"""The shipped model tags the fixture articles exactly as it did before the tagging path was
last rewritten for speed (the files in tests/fixtures/tagged/, written by `tagger tag` at
commit 2388ace): the records, their drift report and metadata, byte for byte, with one
worker or two. A deliberate change of what tagging writes replaces those files, and says
so in its commit; a change for speed never does."""

import pytest

from conftest import FIXTURE_ARTICLES, FIXTURES, SHIPPED_MODEL
from tagger.batch.run import tag_files

BEFORE = FIXTURES / "tagged"


@pytest.mark.parametrize("jobs", [1, 2])
def test_tag_writes_what_it_wrote_before_byte_for_byte(tmp_path, jobs):
    out = tmp_path / "articles.jsonl"
    summary = tag_files([FIXTURE_ARTICLES], out, model_dir=SHIPPED_MODEL, jobs=jobs, batch_size=16)
    assert summary.documents == 48
    for suffix in ("", ".drift.json", ".meta.json"):
        written = (tmp_path / f"articles.jsonl{suffix}").read_bytes()
        assert written == (BEFORE / f"articles.jsonl{suffix}").read_bytes(), suffix or "records"
