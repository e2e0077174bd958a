"""Issue 22's findings on the labelling server, kept as tests (in-process, Starlette's test
client): no GET changes anything, tabs are the server's, a decision only for the document
its tab holds, every malformed body a 4xx naming the problem, a token on every page."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from conftest import FIXTURE_ARTICLES, SCHEMA
from tagger import load_schema, read_documents
from tagger.app.server import create_app
from tagger.app.session import Session
from tagger.app.tabs import MAX_TABS_PER_ANNOTATOR
from tagger.labels.database import LabelDB

BASE = "http://127.0.0.1:8765"


def client(tmp_path, token=None, **kwargs):
    from starlette.testclient import TestClient

    session = Session(db=LabelDB(tmp_path / "labels.db"), docs=read_documents([FIXTURE_ARTICLES]),
                      schema=load_schema(SCHEMA), annotator="ann", **kwargs)
    return TestClient(create_app(session, token=token), base_url=BASE), session


def csrf_of(c) -> str:
    return re.search(r'name="csrf" content="([^"]+)"', c.get("/").text).group(1)


def post(c, path, csrf, **body):
    return c.post(path, json=body, headers={"X-CSRF-Token": csrf})


def claimed(c, csrf, annotator="ann"):
    """What the page's script does: a tab from the server, then its claim."""
    tab = post(c, "/api/tab", csrf, annotator=annotator).json()["tab"]
    doc = post(c, "/api/next", csrf, tab=tab, annotator=annotator).json()["document"]
    return tab, doc["id"] if doc else None


def claims(session) -> int:
    return len(session.db.rows("SELECT * FROM claims"))


def test_cross_site_gets_with_invented_tabs_claim_nothing(tmp_path):
    c, session = client(tmp_path)
    for n in range(51):  # the probe's <img src=".../api/next?tab=...">
        r = c.get("/api/next", params={"tab": f"evil-tab-{n:04d}", "annotator": "ann"})
        assert r.status_code == 405
    for n in range(5):  # and the pages' GETs, which show what a tab holds, claiming nothing
        c.get("/", params={"tab": f"evil-tab-{n:04d}", "annotator": f"x{n}"})
        c.get("/doc/fx001", params={"tab": f"evil-tab-{n:04d}", "annotator": "ann"})
    assert claims(session) == 0
    csrf = csrf_of(c)
    assert claimed(c, csrf)[1] is not None
    assert c.get("/api/progress").json()["remaining"] == len(session.docs)


def test_claiming_is_a_post_with_the_csrf_header(tmp_path):
    c, session = client(tmp_path)
    tab = post(c, "/api/tab", csrf_of(c)).json()["tab"]
    assert c.post("/api/next", json={"tab": tab}).status_code == 403  # no CSRF header
    assert c.post("/api/tab", json={}).status_code == 403
    assert c.get("/api/next", params={"tab": tab}).status_code == 405
    assert claims(session) == 0


@pytest.mark.parametrize("path", ["/api/next", "/api/undo", "/api/release", "/api/heartbeat",
                                  "/api/open"])
def test_a_tab_the_server_did_not_issue_is_refused_by_name(tmp_path, path):
    c, session = client(tmp_path)
    r = post(c, path, csrf_of(c), tab="made-up-tab-0001", id="fx001")
    assert r.status_code == 404 and "made-up-tab-0001" in r.json()["error"]
    assert claims(session) == 0


def test_a_tab_is_its_annotators_only(tmp_path):
    c, _ = client(tmp_path)
    csrf = csrf_of(c)
    tab, _ = claimed(c, csrf, "ann")
    r = post(c, "/api/next", csrf, tab=tab, annotator="bob")
    assert r.status_code == 404 and "bob" in r.json()["error"]


def test_tabs_one_can_mint_are_bounded(tmp_path):
    c, session = client(tmp_path)
    csrf = csrf_of(c)
    first, _ = claimed(c, csrf)
    for _ in range(MAX_TABS_PER_ANNOTATOR):
        post(c, "/api/tab", csrf)
    r = post(c, "/api/next", csrf, tab=first)
    assert r.status_code == 404  # the oldest was forgotten, and its article let go
    assert claims(session) == 0


def test_a_decision_only_for_the_document_its_tab_holds(tmp_path):
    c, session = client(tmp_path)
    csrf = csrf_of(c)
    tab_a, doc_a = claimed(c, csrf)
    tab_b, doc_b = claimed(c, csrf)
    assert doc_a != doc_b
    r = post(c, "/api/decide", csrf, tab=tab_a, id=doc_b, answer="skipped")
    assert r.status_code == 409 and doc_b in r.json()["error"]
    assert session.db.rows("SELECT * FROM decisions") == []
    r = post(c, "/api/decide", csrf, tab=tab_a, id=doc_a, answer="skipped")
    assert r.status_code == 200
    nxt = post(c, "/api/next", csrf, tab=tab_a).json()["document"]["id"]  # claimed on decide
    assert nxt not in (doc_a, doc_b)


@pytest.mark.parametrize("change, named", [
    ({"evidence": [{"tag": "t", "start": 1e308, "end": 2}]}, "evidence[0].start"),
    ({"evidence": [{"tag": "t", "start": 2**40, "end": 2**41}]}, "evidence[0].start"),
    ({"tags": [["a", "b"]]}, "tags[0]"),
    ({"tags": "military"}, "tags"),
    ({"tags": ["x"] * 1001}, "tags"),
    ({"answer": "maybe"}, "answer"),
    ({"none": "yes"}, "none"),
    ({"id": 7}, "id"),
    ({"extra": 1}, "extra"),
])
def test_a_malformed_decision_is_a_4xx_naming_the_problem(tmp_path, change, named):
    c, session = client(tmp_path)
    csrf = csrf_of(c)
    tab, doc = claimed(c, csrf)
    body = {"tab": tab, "id": doc, "answer": "saved", **change}
    r = c.post("/api/decide", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 400 and named in r.json()["error"]
    assert session.db.rows("SELECT * FROM decisions") == []


def test_no_tag_applies_together_with_a_tag_is_refused(tmp_path):
    c, session = client(tmp_path)
    csrf = csrf_of(c)
    tab, doc = claimed(c, csrf)
    tag = session.schema.ids[0]
    r = post(c, "/api/decide", csrf, tab=tab, id=doc, tags=[tag], none=True, no_evidence=[tag])
    assert r.status_code == 400 and "together" in r.json()["error"]
    assert session.db.rows("SELECT * FROM decisions") == []


def test_no_get_route_changes_the_database(tmp_path):
    c, session = client(tmp_path)
    before = session.db.rows("SELECT count(*) AS n FROM claims")
    for path in ["/", "/doc/fx001", "/api/progress", "/api/history", "/api/search?q=war",
                 "/api/stats", "/export.csv", "/export.jsonl", "/api/csrf"]:
        assert c.get(path).status_code == 200, path
    assert session.db.rows("SELECT count(*) AS n FROM claims") == before
    assert session.db.rows("SELECT * FROM decisions") == []


def test_every_page_needs_the_token_and_the_address_sets_it(tmp_path):
    c, _ = client(tmp_path, token="s3cret-token")
    assert c.get("/").status_code == 403
    r = c.get("/?token=s3cret-token", follow_redirects=False)
    assert r.status_code == 303 and "tagger_token" in r.headers["set-cookie"]
    assert c.get("/").status_code == 200  # the cookie now


def test_a_page_by_another_host_name_is_refused(tmp_path):
    c, _ = client(tmp_path)
    assert c.get("/", headers={"host": "evil.example:8765"}).status_code == 400
    assert c.get("/", headers={"host": "[::1]:8765"}).status_code == 200


def test_the_cli_makes_a_token_unless_told_not_to(monkeypatch):
    from tagger.cli import serving

    seen = []

    @serving.serving_options
    def command(serving):
        seen.append(serving)

    import click

    cmd = click.command()(command)
    runner = CliRunner()
    monkeypatch.delenv("TAGGER_TOKEN", raising=False)
    assert runner.invoke(cmd, []).exit_code == 0
    assert runner.invoke(cmd, ["--no-token"]).exit_code == 0
    assert runner.invoke(cmd, ["--token", "abc"]).exit_code == 0
    out = runner.invoke(cmd, ["--no-token", "--host", "0.0.0.0"])
    assert out.exit_code == 2 and "loopback" in out.output
    assert len(seen[0].token) >= 20 and seen[1].token is None and seen[2].token == "abc"
    assert seen[0].allowed_hosts == ("127.0.0.1", "localhost", "[::1]")


def test_review_progress_uses_the_connection_it_holds(tmp_path, monkeypatch):
    _, session = client(tmp_path, queue="review")
    opened = []
    real = session.db.connect
    monkeypatch.setattr(session.db, "connect", lambda *a, **k: opened.append(1) or real(*a, **k))
    session.progress("ann")
    assert len(opened) == 1


def test_search_marks_labelled_by_the_answer_in_force(tmp_path):
    from tagger.labels.database import Decision

    _, session = client(tmp_path)
    session.db.add(Decision(doc_id="fx001", annotator="ann", answer="saved"))
    session.db.add(Decision(doc_id="fx001", annotator="ann", answer="skipped"))  # in force
    session.db.add(Decision(doc_id="fx002", annotator="ann", answer="saved"))
    assert session.recall.labelled("ann", ["fx001", "fx002"]) == {"fx002"}
    assert session.recall.labelled(None, ["fx001", "fx002"]) == {"fx002"}


def test_two_pages_served_at_once_keep_their_own_tokens(tmp_path):
    from starlette.testclient import TestClient

    first, _ = client(tmp_path, token="first-token")
    second = TestClient(create_app(Session(
        db=LabelDB(tmp_path / "b.db"), docs=read_documents([FIXTURE_ARTICLES]),
        schema=load_schema(SCHEMA)), token="second-token"), base_url="http://127.0.0.1:8766")
    assert first.get("/?token=first-token").status_code == 200
    second.cookies = first.cookies  # one browser: a host's cookies go to every port
    assert second.get("/?token=second-token").status_code == 200
    first.cookies = second.cookies
    assert first.get("/").status_code == 200 and second.get("/").status_code == 200


def test_the_servers_tabs_are_bounded_whoever_mints_them(monkeypatch):
    from tagger.app import tabs

    monkeypatch.setattr(tabs, "MAX_TABS", 5)
    kept = tabs.Tabs()
    first, _ = kept.mint("a0")
    dropped = [kept.mint(f"a{n}")[1] for n in range(1, 7)]
    assert len(kept) == 5 and dropped[4] == [(first, "a0")]
    with pytest.raises(tabs.UnknownTab, match="not opened by this server"):
        kept.check(first, "a0")


@pytest.mark.parametrize("extra", [{"none": True}, {"tags": ["missile_strikes"]},
                                   {"none": True, "tags": ["missile_strikes"]}])
def test_a_skip_carrying_a_choice_is_refused(tmp_path, extra):
    c, session = client(tmp_path)
    csrf = csrf_of(c)
    tab, doc = claimed(c, csrf)
    r = post(c, "/api/decide", csrf, tab=tab, id=doc, answer="skipped", **extra)
    assert r.status_code == 400 and "a skip chooses nothing" in r.json()["error"]
    assert session.db.rows("SELECT * FROM decisions") == []
