"""The labelling app over HTTP, in-process (Starlette's test client): what it stores, what
it refuses, and what it shows. The browser tests (test_label_browser.py) drive the page."""

from __future__ import annotations

import json
import re

import pytest

from conftest import FIXTURE_ARTICLES, SCHEMA
from tagger import load_model, load_schema, read_documents
from tagger.app.server import create_app
from tagger.app.session import Session
from tagger.io.records import Document
from tagger.labels.database import LabelDB

HOSTILE = Document(id="evil", title="<script>alert('title')</script>",
                   text="A missile hit the plant. <img src=x onerror=alert(1)> was in the text. "
                        "</span><script>alert(2)</script> And more.")


def client(tmp_path, *, docs=None, model=None, token=None, **kwargs):
    from starlette.testclient import TestClient

    session = Session(db=LabelDB(tmp_path / "labels.db"),
                      docs=docs or read_documents([FIXTURE_ARTICLES]),
                      schema=load_schema(SCHEMA), model=model, annotator="ann", **kwargs)
    c = TestClient(create_app(session, token=token), base_url="http://127.0.0.1:8765")
    return c, session


def page(c, annotator="ann"):
    """What a browser does: the page, a tab from the server, its claim (POSTs), the page."""
    r = c.get("/", params={"annotator": annotator})
    assert r.status_code == 200
    csrf = re.search(r'name="csrf" content="([^"]+)"', r.text).group(1)
    tab = post(c, "/api/tab", csrf, annotator=annotator).json()["tab"]
    post(c, "/api/next", csrf, tab=tab, annotator=annotator)
    r = c.get("/", params={"annotator": annotator, "tab": tab})
    assert r.status_code == 200
    return r.text, tab, csrf


def post(c, path, csrf, **body):
    return c.post(path, json=body, headers={"X-CSRF-Token": csrf})


def current_doc(c, tab, annotator="ann"):
    csrf = re.search(r'name="csrf" content="([^"]+)"', c.get("/").text).group(1)
    r = post(c, "/api/next", csrf, tab=tab, annotator=annotator)
    return r.json()["document"]


def test_article_text_is_shown_as_text_whatever_it_holds(tmp_path):
    c, _ = client(tmp_path, docs=[HOSTILE])
    html, _, _ = page(c)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;/span&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html
    r = c.get("/")
    assert "script-src 'self'" in r.headers["content-security-policy"]


POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
          "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def test_every_answer_carries_the_security_headers_once_refusals_too(tmp_path):
    c, _ = client(tmp_path)
    csrf = re.search(r'name="csrf" content="([^"]+)"', c.get("/").text).group(1)
    answers = {"page": c.get("/"), "static": c.get("/static/label.js"),
               "export": c.get("/export.csv"), "no csrf": c.post("/api/tab", json={}),
               "not json": c.post("/api/tab", content=b"x", headers={"X-CSRF-Token": csrf}),
               "other host": c.get("/", headers={"Host": "evil.example:8765"})}
    assert [r.status_code for r in answers.values()] == [200, 200, 200, 403, 415, 400]
    for name, r in answers.items():
        for header, value in [("content-security-policy", POLICY), ("x-content-type-options",
                              "nosniff"), ("referrer-policy", "no-referrer"), ("cache-control", "no-store")]:
            assert r.headers.get_list(header) == [value], (name, header)


def test_saving_needs_a_decision_and_evidence_for_each_tag(tmp_path):
    c, session = client(tmp_path)
    _, tab, csrf = page(c)
    doc = current_doc(c, tab)
    r = post(c, "/api/decide", csrf, tab=tab, id=doc["id"], tags=[])
    assert r.status_code == 400 and "no tag chosen" in r.json()["error"]
    r = post(c, "/api/decide", csrf, tab=tab, id=doc["id"], tags=["missile_strikes"])
    assert r.status_code == 400 and "missile_strikes has no evidence" in r.json()["error"]
    assert session.db.log() == []
    start, end = doc["sentences"][0]
    r = post(c, "/api/decide", csrf, tab=tab, id=doc["id"], tags=["missile_strikes", "energy_attacks"],
             evidence=[{"tag": "missile_strikes", "start": start, "end": end}],
             no_evidence=["energy_attacks"])
    assert r.status_code == 200, r.text
    (d,) = session.db.log()
    assert d.tags == ("missile_strikes", "energy_attacks") and d.no_evidence == ("energy_attacks",)
    assert d.evidence[0]["text"] == session.by_id[doc["id"]].text[start:end]
    assert r.json()["progress"]["labelled"] == 1
    assert current_doc(c, tab)["id"] != doc["id"]


def test_evidence_comes_from_the_servers_text_not_the_request(tmp_path):
    c, session = client(tmp_path)
    _, tab, csrf = page(c)
    doc = current_doc(c, tab)
    r = post(c, "/api/decide", csrf, tab=tab, id=doc["id"], tags=["missile_strikes"],
             evidence=[{"tag": "missile_strikes", "start": 0, "end": 10 ** 6, "text": "made up"}])
    assert r.status_code == 400 and "outside the document" in r.json()["error"]
    r = post(c, "/api/decide", csrf, tab=tab, id="no-such-doc", none=True)
    assert r.status_code == 400 and "no document" in r.json()["error"]


def test_skip_and_undo_bring_back_what_the_annotator_had(tmp_path):
    c, session = client(tmp_path)
    _, tab, csrf = page(c)
    first = current_doc(c, tab)
    assert post(c, "/api/decide", csrf, tab=tab, id=first["id"], none=True).status_code == 200
    second = current_doc(c, tab)
    assert post(c, "/api/decide", csrf, tab=tab, id=second["id"], answer="skipped").status_code == 200
    third = current_doc(c, tab)
    assert third["id"] not in (first["id"], second["id"])
    r = post(c, "/api/undo", csrf, tab=tab)
    assert r.json()["undone"]["id"] == second["id"] and r.json()["undone"]["answer"] == "skipped"
    assert current_doc(c, tab)["id"] == second["id"]
    shown = c.get("/", params={"tab": tab, "annotator": "ann"}).text  # nothing the skip did not choose
    assert f'data-id="{second["id"]}"' in shown
    assert json.loads(re.search(r'id="chosen">(.*?)</script>', shown).group(1)) == {
        "tags": [], "evidence": [], "no_evidence": [], "none": False, "accepted": [],
        "answer": "skipped", "proposal": None}
    assert post(c, "/api/undo", csrf, tab=tab).json()["undone"]["id"] == first["id"]
    html, _, _ = page(c)  # a new tab is not given the article another tab shows
    assert f'data-id="{first["id"]}"' not in html
    assert [d.answer for d in session.db.log()] == ["saved", "skipped", "undone", "undone"]


def test_two_tabs_and_two_annotators_never_get_the_same_article(tmp_path):
    c, _ = client(tmp_path)
    shown = []
    for who in ("ann", "ann", "bob", "bob"):
        _, tab, _ = page(c, who)
        shown.append(current_doc(c, tab, who)["id"])
    assert len(set(shown)) == 4


def test_overlap_sends_an_article_to_two_annotators(tmp_path):
    c, session = client(tmp_path, overlap=1.0)
    _, tab_a, csrf = page(c, "ann")
    _, tab_b, _ = page(c, "bob")
    a, b = current_doc(c, tab_a, "ann"), current_doc(c, tab_b, "bob")
    assert a["id"] == b["id"]
    _, tab_c, _ = page(c, "cy")
    assert current_doc(c, tab_c, "cy")["id"] != a["id"]  # two annotators, not three


def test_state_changing_requests_need_the_csrf_token_and_this_origin(tmp_path):
    c, session = client(tmp_path)
    _, tab, csrf = page(c)
    doc = current_doc(c, tab)
    assert c.post("/api/decide", json={"tab": tab, "id": doc["id"], "none": True}).status_code == 403
    r = c.post("/api/decide", json={"tab": tab, "id": doc["id"], "none": True},
               headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"})
    assert r.status_code == 403
    r = c.post("/api/decide", content=b"tab=x", headers={"X-CSRF-Token": csrf,
                                                         "Content-Type": "text/plain"})
    assert r.status_code == 415
    r = c.post("/api/decide", content=b"[" * 300_000, headers={"X-CSRF-Token": csrf,
                                                               "Content-Type": "application/json"})
    assert r.status_code == 400 and "at most 256 KiB" in r.json()["error"]
    assert session.db.log() == []


def test_a_server_with_a_token_refuses_requests_without_it(tmp_path):
    c, session = client(tmp_path, token="s3cret-token")
    assert c.get("/").status_code == 403
    assert c.post("/api/next", json={"tab": "abcdefgh"}).status_code == 403
    assert c.post("/api/undo", json={"tab": "abcdefgh"}).status_code == 403
    r = c.get("/?token=wrong", follow_redirects=False)
    assert r.status_code == 403
    r = c.get("/?token=s3cret-token", follow_redirects=False)
    assert r.status_code == 303 and "token" not in r.headers["location"]
    assert "httponly" in r.headers["set-cookie"].lower()
    html, tab, csrf = page(c)  # the cookie now opens it
    c.cookies.clear()
    assert c.post("/api/next", json={"tab": tab, "annotator": "ann"},
                  headers={"Authorization": "Bearer s3cret-token",
                           "X-CSRF-Token": csrf}).status_code == 200


def test_other_host_names_are_refused(tmp_path):
    c, _ = client(tmp_path)
    assert c.get("/", headers={"Host": "attacker.example:8765"}).status_code == 400


@pytest.mark.parametrize("path", ["/static/../session.py", "/static/label.py",
                                  "/static/%2e%2e%2fserver.py", "/etc/passwd"])
def test_no_request_reaches_the_file_system(tmp_path, path):
    c, _ = client(tmp_path)
    assert c.get(path).status_code == 404
    assert c.get("/static/label.js").status_code == 200


def test_the_model_proposes_its_tags_apart_and_nothing_is_chosen_for_the_annotator(tmp_path,
                                                                                  fixture_model):
    model = load_model(fixture_model)
    docs = read_documents([FIXTURE_ARTICLES])
    pred = {p.id: p for p in model.predict(docs)}
    with_tags = [d for d in docs if pred[d.id].tags]
    c, _ = client(tmp_path, docs=with_tags[:1], model=model)
    html, tab, _ = page(c)
    doc = current_doc(c, tab)
    assert [t["id"] for t in doc["tags"] if t["model"]] == pred[doc["id"]].tags
    for tag, ev in pred[doc["id"]].evidence.items():
        assert re.search(rf'data-start="{ev["start"]}" data-end="{ev["end"]}" data-model="[^"]*{tag}', html)
    chosen = json.loads(re.search(r'id="chosen">(.*?)</script>', html).group(1))
    proposal = chosen.pop("proposal")
    assert proposal["tags"] == pred[doc["id"]].tags
    assert proposal["evidence"] == [[t, e["start"], e["end"]] for t, e in pred[doc["id"]].evidence.items()]
    assert chosen == {"tags": [], "evidence": [], "no_evidence": [], "none": False, "accepted": [],
                      "answer": None}
    assert 'class="pick" tabindex="-1" checked' not in html
    assert html.count('class="proposal"') == len(pred[doc["id"]].tags)


@pytest.mark.slow  # trains models: the full suite runs it, not the fast tier
def test_the_suggest_queue_is_suggests_ranking_and_retrains_as_labels_arrive(tmp_path, fixture_model,
                                                                               fixture_docs):
    import time

    from tagger.evaluation.suggest import suggest
    from tagger.labels.resolve import import_labels

    model = load_model(fixture_model)
    docs = read_documents([FIXTURE_ARTICLES])
    c, session = client(tmp_path, model=model, queue="suggest", retrain_every=30)
    assert session.queue_order()[:10] == [p.id for p in suggest(docs, model=model, n=10)]
    import_labels(session.db, fixture_docs[:40], origin="import")
    _, tab, csrf = page(c)
    doc = current_doc(c, tab)
    assert doc["id"] in {d.id for d in docs[40:]}  # imported articles are not offered
    assert post(c, "/api/decide", csrf, tab=tab, id=doc["id"], none=True).status_code == 200
    refresher = session.refresher
    for _ in range(600):  # the retraining runs in the background
        if refresher.retrained:
            break
        time.sleep(0.05)
    assert refresher.retrained == 1 and refresher.status == "retrained on 41 labels"
    assert refresher.model is not model and refresher.model.metadata["n_train_docs"] == 41
    assert set(session.queue_order()) == {d.id for d in docs[40:]} - {doc["id"]}
    assert "retrained on 41 labels" in page(c)[0]


@pytest.mark.slow  # trains models: the full suite runs it, not the fast tier
def test_the_audit_queue_shows_the_suspect_label_and_stores_the_fix(tmp_path, fixture_docs):
    from dataclasses import replace

    from tagger.labels.resolve import import_labels, resolve

    c, session = client(tmp_path)
    wrong = [replace(d, tags=("missile_strikes",), evidence=()) if d.id == "fx002" else d
             for d in fixture_docs]
    import_labels(session.db, wrong, origin="import")
    audit_c, audit_session = client(tmp_path, queue="audit")
    assert audit_session.queue_order()[0] == "fx002"
    html, tab, csrf = page(audit_c, "rev")
    assert 'data-id="fx002"' in html and "Probably wrong" in html
    assert "<strong>missile_strikes</strong>: the label gives it" in html
    r = post(audit_c, "/api/decide", csrf, tab=tab, annotator="rev", id="fx002", none=True)
    assert r.json()["saved"]["answer"] == "adjudicated" and r.json()["saved"]["origin"] == "audit"
    assert resolve(session.db).labels["fx002"] == ()
    old = [d for d in session.db.log() if d.doc_id == "fx002"]
    assert [(d.answer, d.tags) for d in old] == [("saved", ("missile_strikes",)), ("adjudicated", ())]


def test_review_shows_each_disagreement_with_both_decisions_and_stores_the_adjudication(tmp_path):
    from tagger.labels.database import Decision
    from tagger.labels.resolve import resolve

    c, session = client(tmp_path)
    docs = session.order
    ev = {"tag": "missile_strikes", "start": 0, "end": 10, "text": session.by_id[docs[1]].text[:10]}
    for who, tags, evidence in (("ann", ("missile_strikes",), (ev,)), ("bob", (), ())):
        session.db.add(Decision(doc_id=docs[0], annotator=who, answer="saved"))
        session.db.add(Decision(doc_id=docs[1], annotator=who, answer="saved", tags=tags,
                                evidence=evidence))
    review, _ = client(tmp_path, queue="review")
    html, tab, csrf = page(review, "rev")
    assert f'data-id="{docs[1]}"' in html  # the one disagreement, not the agreed docs[0]
    assert "Decisions to reconcile" in html and "<strong>ann</strong>: missile_strikes" in html
    assert "<strong>bob</strong>: read, no tag applies" in html and f"“{ev['text']}”" in html
    r = post(review, "/api/decide", csrf, tab=tab, annotator="rev", id=docs[1], none=True)
    assert r.status_code == 200 and r.json()["saved"]["answer"] == "adjudicated"
    assert r.json()["progress"]["labelled"] == 1 and r.json()["progress"]["remaining"] == 0
    assert resolve(session.db).labels[docs[1]] == ()
    assert current_doc(review, tab, "rev") is None  # nothing left to review


def test_tags_can_be_ordered_by_the_models_score_with_keys_in_that_order(tmp_path, fixture_model):
    model = load_model(fixture_model)
    c, _ = client(tmp_path, model=model, tag_order="score")
    _, tab, _ = page(c)
    tags = current_doc(c, tab)["tags"]
    assert [t["key"] for t in tags] == ["1", "2", "3", "4"]
    assert [t["score"] for t in tags] == sorted((t["score"] for t in tags), reverse=True)


def test_a_decision_the_database_cannot_store_is_not_acknowledged(tmp_path, monkeypatch):
    import sqlite3

    c, session = client(tmp_path)
    _, tab, csrf = page(c)
    doc = current_doc(c, tab)

    def full_disk(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(LabelDB, "add", full_disk)
    r = post(c, "/api/decide", csrf, tab=tab, id=doc["id"], none=True)
    assert r.status_code == 503 and "nothing was saved" in r.json()["error"]
    monkeypatch.undo()
    assert session.db.log() == [] and current_doc(c, tab)["id"] == doc["id"]


def test_the_pages_csrf_token_outlives_a_server_restart(tmp_path):
    first, _ = client(tmp_path)
    _, tab, csrf = page(first)
    again, _ = client(tmp_path)  # a new server on the same database: tabs are per run
    assert post(again, "/api/next", csrf, tab=tab).status_code == 404
    assert again.get("/", params={"tab": tab, "annotator": "ann"},
                     follow_redirects=False).status_code == 303  # the page starts afresh
    new = post(again, "/api/tab", csrf).json()["tab"]  # the old CSRF token still works
    doc = current_doc(again, new)
    assert post(again, "/api/decide", csrf, tab=new, id=doc["id"], none=True).status_code == 200


def test_label_refuses_a_model_whose_tags_are_not_the_schemas(tmp_path, fixture_model):
    from click.testing import CliRunner

    from tagger.cli import main

    (tmp_path / "tags.toml").write_text('[[tag]]\nid = "acq"\n[[tag]]\nid = "earn"\n')
    result = CliRunner().invoke(main, ["label", "--data", str(FIXTURE_ARTICLES), "--db",
                                       str(tmp_path / "l.db"), "--tags", str(tmp_path / "tags.toml"),
                                       "--model", str(fixture_model)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: the model's tags (missile_strikes, air_defence_aid, escalation_rhetoric, "
        "energy_attacks) are not the schema's (acq, earn): give a model of these tags with "
        "--model, or label with --no-model"]
    assert not (tmp_path / "l.db").exists()



def test_a_saved_label_names_its_model_as_tagged_records_do_old_fingerprints_kept(
        tmp_path, fixture_model, monkeypatch):
    """The label app stores the digest every tagged record carries in its ``model`` column
    (tagger.model.persist.model_digest). labels-v1.db holds the short fingerprint earlier
    taggers stored instead (16 hex digits over model.json and arrays.npz): nothing compares
    the two, so it opens and keeps it as written."""
    import shutil

    from click.testing import CliRunner
    from starlette.testclient import TestClient

    import tagger.cli.label
    from tagger.cli import main
    from tagger.model.persist import model_digest

    served = []
    monkeypatch.setattr(tagger.cli.label, "serve", lambda app, *args, **kwargs: served.append(app))
    db = tmp_path / "labels.db"
    shutil.copyfile(FIXTURE_ARTICLES.parent / "labels-v1.db", db)
    result = CliRunner().invoke(main, ["label", "--data", str(FIXTURE_ARTICLES), "--db", str(db),
                                       "--tags", str(SCHEMA), "--model", str(fixture_model),
                                       "--annotator", "zed", "--no-token"])
    assert result.exit_code == 0, result.output
    c = TestClient(served[0], base_url="http://127.0.0.1:8765")
    _, tab, csrf = page(c, "zed")
    doc = current_doc(c, tab, "zed")
    assert post(c, "/api/decide", csrf, tab=tab, id=doc["id"], none=True).status_code == 200
    *old, new = LabelDB(db).log()
    assert new.annotator == "zed" and new.model == model_digest(fixture_model)
    assert len(new.model) == 64 and "edc3ef00bcc1cbdf" in {d.model for d in old}

@pytest.mark.parametrize("text", ["fx003\n# a comment\nfx001  # why\n\nfx003\n",
                                  "rank,id,how\n1,fx003,uncertain\n2,fx001,random\n",
                                  '{"rank": 1, "id": "fx003"}\n{"rank": 2, "id": "fx001"}\n'])
def test_a_queue_file_gives_the_order_as_lines_csv_or_jsonl(tmp_path, text):
    (tmp_path / "queue.txt").write_text(text)
    _, session = client(tmp_path, queue=str(tmp_path / "queue.txt"))
    assert session.queue_order() == ["fx003", "fx001"]


def test_a_queue_file_naming_an_unknown_id_is_refused_with_its_line(tmp_path):
    from tagger.errors import InputError

    (tmp_path / "queue.txt").write_text("fx003\nnope\n")
    with pytest.raises(InputError, match=r"queue.txt, line 2: id 'nope' is not among"):
        client(tmp_path, queue=str(tmp_path / "queue.txt"))


def test_the_page_shows_paragraphs_and_marks_keywords_inside_sentences():
    from tagger.app.page import pieces

    text = "First line here. Second sentence.\n\nA missile hit a plant.\nLast one"
    sentences = [(0, 16), (17, 33), (35, 57), (58, 66)]
    view = {"text": text, "sentences": sentences,
            "tags": [{"id": "missile_strikes", "best": [35, 57]}],
            "paragraphs": [{"start": 0, "end": 33}, {"start": 35, "end": 57}, {"start": 58, "end": 66}],
            "keywords": {"missile_strikes": [[37, 44]], "energy_attacks": [[51, 56], [37, 44]]}}
    paragraphs = pieces(view)
    assert [[p["text"] for p in para] for para in paragraphs] == [
        ["First line here.", " ", "Second sentence."], ["A missile hit a plant."], ["Last one"]]
    hit = paragraphs[1][0]
    assert hit["model"] == ["missile_strikes"]
    assert hit["parts"] == [{"text": "A "}, {"text": "missile", "kw": "missile_strikes energy_attacks"},
                            {"text": " hit a "}, {"text": "plant", "kw": "energy_attacks"},
                            {"text": "."}]
    # every character of the text is shown once, in order
    assert "".join(p["text"] for para in paragraphs for p in para) == text.replace("\n", "")


def test_every_key_of_the_registry_has_its_action_in_the_pages_script():
    from importlib.resources import files

    from tagger.app.keys import KEYS

    script = (files("tagger.app") / "static" / "label.js").read_text()
    actions = re.search(r"const ACTIONS = \{(.*?)\n  \};", script, re.S).group(1)
    for key in KEYS:
        assert re.search(rf'(^|[\s,{{])"?{re.escape(key.action)}"?:', actions), key.action
    assert len({k for key in KEYS if not key.shift for k in key.keys}) == sum(
        len(key.keys) for key in KEYS if not key.shift)  # no key bound twice
