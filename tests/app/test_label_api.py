"""The labelling app's JSON API for going back and for the model's proposals, in-process
(Starlette's test client): accepted proposals, history, open by id, search, claims' heartbeat
and release, stats and export over HTTP, paragraphs and keywords."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from conftest import FIXTURE_ARTICLES, SCHEMA
from tagger import load_model, load_schema, read_documents
from tagger.app.server import create_app
from tagger.app.session import Session
from tagger.app.views import paragraph_spans
from tagger.cli import main
from tagger.io.records import Document
from tagger.labels.database import Decision, LabelDB
from tagger.labels.resolve import export_labels


def client(tmp_path, *, docs=None, model=None, **kwargs):
    from starlette.testclient import TestClient

    session = Session(db=LabelDB(tmp_path / "labels.db"),
                      docs=docs or read_documents([FIXTURE_ARTICLES]),
                      schema=load_schema(SCHEMA), model=model, annotator="ann",
                      fingerprint="m1" if model else "", **kwargs)
    c = TestClient(create_app(session), base_url="http://127.0.0.1:8765")
    return c, session


def opened(c, path="/", annotator="ann", tab=None):
    """What a browser does: the page; with nothing shown, a tab from the server and its
    claim (or the document opened) by POST; the page again."""
    r = c.get(path, params={"annotator": annotator, **({"tab": tab} if tab else {})})
    assert r.status_code == 200, r.text
    want = re.search(r'data-want="([^"]*)"', r.text).group(1)
    if want:
        csrf = re.search(r'name="csrf" content="([^"]+)"', r.text).group(1)
        tab = tab or post(c, "/api/tab", csrf, annotator=annotator).json()["tab"]
        if want == "next":
            post(c, "/api/next", csrf, tab=tab, annotator=annotator)
        else:
            assert post(c, "/api/open", csrf, tab=tab, annotator=annotator, id=want).status_code == 200
        r = c.get(path, params={"annotator": annotator, "tab": tab})
        assert r.status_code == 200, r.text
    tab = re.search(r'data-tab="([^"]+)"', r.text).group(1)
    csrf = re.search(r'name="csrf" content="([^"]+)"', r.text).group(1)
    found = re.search(r'id="doc" data-id="([^"]+)"', r.text)
    return r.text, tab, csrf, found.group(1) if found else None


def chosen(html):
    return json.loads(re.search(r'<script type="application/json" id="chosen">(.*?)</script>',
                                html, re.S).group(1))


def post(c, path, csrf, **body):
    return c.post(path, json=body, headers={"X-CSRF-Token": csrf})


def claim(c, tab=None, annotator="ann"):
    """``POST /api/next`` for the tab (a new one from the server when None): its document."""
    csrf = re.search(r'name="csrf" content="([^"]+)"', c.get("/").text).group(1)
    tab = tab or post(c, "/api/tab", csrf, annotator=annotator).json()["tab"]
    return post(c, "/api/next", csrf, tab=tab, annotator=annotator).json()["document"]


@pytest.fixture(scope="module")
def proposing(fixture_model):
    """The fixture model and the fixture articles it proposes tags for."""
    model = load_model(fixture_model)
    docs = read_documents([FIXTURE_ARTICLES])
    preds = {p.id: p for p in model.predict(docs)}
    return model, [d for d in docs if preds[d.id].tags], preds


def test_accepting_the_proposal_stores_it_marked_with_the_models_evidence(tmp_path, proposing):
    model, docs, preds = proposing
    c, session = client(tmp_path, docs=docs[:3], model=model)
    html, tab, csrf, doc_id = opened(c)
    proposal = chosen(html)["proposal"]
    assert chosen(html)["tags"] == [] and proposal["tags"] == preds[doc_id].tags
    r = post(c, "/api/decide", csrf, tab=tab, id=doc_id, tags=proposal["tags"],
             accepted=proposal["tags"])
    assert r.status_code == 200, r.text
    (d,) = session.db.log()
    assert d.accepted == d.tags == tuple(preds[doc_id].tags)
    assert d.proposal == tuple(preds[doc_id].tags) and d.model == "m1"
    ev = preds[doc_id].evidence
    assert {(e["tag"], e["start"], e["end"]) for e in d.evidence} == \
        {(t, e["start"], e["end"]) for t, e in ev.items()}
    assert r.json()["saved"]["accepted"] == list(d.accepted)


def test_accepted_must_be_saved_and_proposed_and_an_untouched_save_stores_nothing(tmp_path,
                                                                                  proposing):
    model, docs, preds = proposing
    c, session = client(tmp_path, docs=docs[:3], model=model)
    html, tab, csrf, doc_id = opened(c)
    proposed = preds[doc_id].tags
    other = next(t for t in session.schema.ids if t not in proposed)
    refusals = [
        ({}, "no tag chosen and no proposal accepted: nothing was saved"),
        ({"accepted": []}, "no tag chosen"),
        ({"tags": [], "accepted": proposed}, "no tag chosen"),
        ({"tags": [other], "accepted": proposed}, f"{proposed[0]} is accepted but not among"),
        ({"tags": [other], "accepted": [other], "no_evidence": [other]},
         f"{other} is accepted, but the model did not propose it"),
        ({"tags": proposed, "none": True}, "'no tag applies' and"),
        ({"tags": proposed, "accepted": "all"}, "Expected `array`, got `str` - at `$.accepted`"),
    ]
    for body, why in refusals:
        r = post(c, "/api/decide", csrf, tab=tab, id=doc_id, **body)
        assert r.status_code == 400 and why in r.json()["error"], (body, r.text)
    assert session.db.log() == []
    # own tags beside accepted ones: the own one needs its evidence, the accepted one has
    # the model's
    r = post(c, "/api/decide", csrf, tab=tab, id=doc_id, tags=[*proposed, other],
             accepted=proposed[:1], no_evidence=[other])
    assert r.status_code == 200, r.text
    (d,) = session.db.log()
    assert d.accepted == tuple(proposed[:1]) and other in d.tags and other in d.no_evidence


def test_without_a_model_nothing_can_be_accepted(tmp_path):
    c, session = client(tmp_path)
    html, tab, csrf, doc_id = opened(c)
    assert chosen(html)["proposal"] is None
    r = post(c, "/api/decide", csrf, tab=tab, id=doc_id, tags=["missile_strikes"],
             accepted=["missile_strikes"], no_evidence=["missile_strikes"])
    assert r.status_code == 400 and "the model did not propose it" in r.json()["error"]
    assert post(c, "/api/decide", csrf, tab=tab, id=doc_id, none=True).status_code == 200
    assert session.db.log()[0].proposal is None and session.db.log()[0].accepted == ()


def test_undoing_a_skip_brings_back_nothing_the_annotator_did_not_choose(tmp_path):
    c, _ = client(tmp_path)
    html, tab, csrf, doc_id = opened(c)
    assert post(c, "/api/decide", csrf, tab=tab, id=doc_id, answer="skipped").status_code == 200
    assert post(c, "/api/undo", csrf, tab=tab).json()["undone"]["answer"] == "skipped"
    html, _, _, again = opened(c, tab=tab)
    start = chosen(html)
    assert again == doc_id and start["tags"] == [] and start["none"] is False
    assert start["answer"] == "skipped"


def test_history_gives_the_decisions_in_force_newest_first(tmp_path):
    c, session = client(tmp_path)
    _, tab, csrf, first = opened(c)
    assert post(c, "/api/decide", csrf, tab=tab, id=first, none=True).status_code == 200
    second = claim(c, tab)["id"]
    assert post(c, "/api/decide", csrf, tab=tab, id=second, answer="skipped").status_code == 200
    third = claim(c, tab)
    start, end = third["sentences"][0]
    assert post(c, "/api/decide", csrf, tab=tab, id=third["id"], tags=["energy_attacks"],
                evidence=[{"tag": "energy_attacks", "start": start, "end": end}]).status_code == 200
    post(c, "/api/undo", csrf, tab=tab)  # the third is undone: not in force
    session.db.add(Decision(doc_id=first, annotator="bob", answer="saved"))  # not ann's
    r = c.get("/api/history", params={"annotator": "ann", "tab": tab, "limit": 10})
    got = r.json()["decisions"]
    assert [(d["id"], d["answer"], d["tags"], d["accepted"]) for d in got] == [
        (second, "skipped", [], []), (first, "saved", [], [])]
    assert set(got[0]) == {"seq", "id", "title", "answer", "tags", "accepted", "created"}
    assert got[0]["title"] == session.by_id[second].title
    assert len(c.get("/api/history", params={"annotator": "ann", "limit": 1}).json()["decisions"]) == 1
    assert c.get("/api/history", params={"annotator": "ann", "limit": "x"}).status_code == 400
    assert c.get("/api/history", params={"annotator": "<b>"}).status_code == 400


def test_reopening_a_decision_by_id_and_changing_it_appends_and_the_export_carries_it(tmp_path):
    c, session = client(tmp_path)
    _, tab, csrf, first = opened(c)
    assert post(c, "/api/decide", csrf, tab=tab, id=first, none=True).status_code == 200
    html, tab2, _, shown = opened(c, f"/doc/{first}")
    assert shown == first and chosen(html)["none"] is True  # starts from the label in force
    assert claim(c, annotator="bob")["id"] != first  # claimed for the reopening tab
    doc = session.view(first)
    start, end = doc["sentences"][0]
    r = post(c, "/api/decide", csrf, tab=tab2, id=first, tags=["missile_strikes"],
             evidence=[{"tag": "missile_strikes", "start": start, "end": end}])
    assert r.status_code == 200
    assert [(d.doc_id, d.tags) for d in session.db.log()] == [(first, ()), (first, ("missile_strikes",))]
    export = c.get("/export.jsonl")
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    rows = [json.loads(line) for line in export.text.splitlines()]
    assert rows == [{"id": first, "tags": ["missile_strikes"],
                     "evidence": {"missile_strikes": [doc["text"][start:end]]}}]
    assert c.get("/export.csv").text == f"id,tags\n{first},missile_strikes\n"
    export_labels(session.db, tmp_path / "same.jsonl")  # the command's export, the same bytes
    assert (tmp_path / "same.jsonl").read_text() == export.text
    assert c.get("/doc/no-such-id").status_code == 404
    assert c.get("/export.txt").status_code == 404


def test_search_finds_words_in_title_or_text_bounded_and_marks_labelled(tmp_path):
    docs = [Document(id="a", title="Grid attack", text="Power went out in Kyiv."),
            Document(id="b", title="Other", text="The power grid was hit <b>again</b>."),
            Document(id="c", title="Sport", text="A football match.")]
    c, session = client(tmp_path, docs=docs)
    _, tab, csrf, first = opened(c)
    post(c, "/api/decide", csrf, tab=tab, id="a", none=True)
    r = c.get("/api/search", params={"q": "GRID power", "annotator": "ann"})
    assert [(x["id"], x["labelled"]) for x in r.json()["results"]] == [("a", True), ("b", False)]
    assert r.json()["results"][1]["snippet"] == "The power grid was hit <b>again</b>."  # the page escapes
    assert c.get("/api/search", params={"q": "power", "annotator": "bob"}).json()["results"][0]["labelled"] is False
    assert c.get("/api/search", params={"q": "power", "limit": 1}).json()["results"][0]["id"] == "a"
    assert c.get("/api/search", params={"q": "   "}).json() == {"results": []}
    assert c.get("/api/search", params={"q": "x" * 201}).status_code == 400


def test_a_released_or_silent_claim_frees_its_article_and_a_heartbeat_keeps_it(tmp_path):
    from tagger.labels import queue

    c, session = client(tmp_path)
    _, tab, csrf, held = opened(c)
    assert post(c, "/api/heartbeat", csrf, tab=tab, id=held).json() == {"held": held}
    _, _, _, other = opened(c, "/", "bob")
    assert other != held
    assert post(c, "/api/release", csrf, tab=tab).json() == {"released": True}
    _, tab_c, _, third = opened(c, "/", "cy")
    assert third == held  # free at once
    # a claim whose heartbeat stopped is free after CLAIM_TTL seconds
    con = session.db.connect()
    con.execute("UPDATE claims SET claimed = claimed - ? WHERE tab = ?",
                (queue.CLAIM_TTL + 1, tab_c))
    con.close()
    assert queue.CLAIM_TTL <= 30
    _, _, _, fourth = opened(c, "/", "dee")
    assert fourth == held
    # the silent tab beats again: its article went to another tab, so it is not taken back
    assert post(c, "/api/heartbeat", csrf, tab=tab_c, annotator="cy", id=held).json() == {"held": None}
    assert post(c, "/api/heartbeat", csrf, tab=tab, id="nope").status_code == 400
    assert c.post("/api/release", json={"tab": tab}).status_code == 403  # CSRF header needed


def test_stats_over_http_give_progress_kappa_per_tag_and_the_accepted_share(tmp_path, proposing):
    model, docs, preds = proposing
    c, session = client(tmp_path, docs=docs[:4], model=model, overlap=1.0)
    for who in ("ann", "bob"):
        for _ in range(2):
            html, tab, csrf, doc_id = opened(c, "/", who)
            proposed = preds[doc_id].tags
            accepted = proposed if who == "ann" else []
            r = post(c, "/api/decide", csrf, tab=tab, annotator=who, id=doc_id, tags=proposed,
                     accepted=accepted, no_evidence=[] if accepted else proposed)
            assert r.status_code == 200, r.text
    stats = c.get("/api/stats", params={"annotator": "ann"}).json()
    assert stats["progress"]["labelled"] == 2 and stats["accepted_share"] == 1.0
    assert set(stats["kappa"]) == set(session.schema.ids)
    assert c.get("/api/stats", params={"annotator": "bob"}).json()["accepted_share"] == 0.0
    assert stats["overlap_docs"] == 2


def test_label_stats_reports_the_accepted_share_and_agreement_with_the_model(tmp_path):
    db = LabelDB(tmp_path / "l.db")
    prop = ("missile_strikes",)
    for i, (tags, acc) in enumerate([(prop, prop), (prop, ()), ((), ()),
                                     (("missile_strikes", "energy_attacks"), prop)]):
        db.add(Decision(doc_id=f"d{i}", annotator="ann", answer="saved", tags=tags, accepted=acc,
                        proposal=prop, model="m"))
    _stored_before_version_2(db, "old", prop)
    result = CliRunner().invoke(main, ["label", "stats", "--db", str(tmp_path / "l.db"),
                                       "--tags", str(SCHEMA), "--format", "json"])
    m = json.loads(result.output)["model"]["ann"]
    assert (m["decisions"], m["unrecorded"], m["tags_given"], m["accepted"]) == (4, 1, 4, 2)
    assert m["accepted_share"] == 0.5 and m["proposals_accepted"] == 0.5
    ms = m["per_tag"]["missile_strikes"]  # ann gave it on d0, d1, d3; the model on all four
    assert (ms["both"], ms["only_first"], ms["only_second"]) == (3, 0, 1)
    assert m["per_tag"]["energy_attacks"]["only_first"] == 1
    text = CliRunner().invoke(main, ["label", "stats", "--db", str(tmp_path / "l.db")]).output
    assert re.search(r"ann\s+4\s+4\s+2\s+50%\s+50%\s+1", text), text
    assert "agreement, ann vs the model's proposals, on 4 decisions made with one shown" in text


def _stored_before_version_2(db, doc_id, tags):
    """A decision as version 1 stored it: nothing said about accepted proposals."""
    con = db.connect()
    con.execute("INSERT INTO decisions (doc_id, annotator, answer, tags, created) "
                "VALUES (?, 'ann', 'saved', ?, 'then')", (doc_id, json.dumps(list(tags))))
    con.close()
    assert db.log()[-1].accepted is None


def test_export_own_only_leaves_out_decisions_that_accepted_a_proposal(tmp_path):
    db = LabelDB(tmp_path / "labels.db")  # the database client() serves
    prop = ("missile_strikes",)
    db.add(Decision(doc_id="took", annotator="ann", answer="saved", tags=prop, accepted=prop,
                    proposal=prop))
    db.add(Decision(doc_id="mixed", annotator="ann", answer="saved",
                    tags=("missile_strikes", "energy_attacks"), accepted=prop, proposal=prop))
    db.add(Decision(doc_id="own", annotator="ann", answer="saved", tags=prop, proposal=prop))
    db.add(Decision(doc_id="agreed", annotator="ann", answer="saved", tags=prop, accepted=prop,
                    proposal=prop))
    db.add(Decision(doc_id="agreed", annotator="bob", answer="saved", tags=prop, proposal=prop))
    _stored_before_version_2(db, "old", prop)
    out = tmp_path / "own.csv"
    result = CliRunner().invoke(main, ["label", "export", "--db", str(db.path), "--out", str(out),
                                       "--own-only"])
    assert result.exit_code == 0, result.output
    assert out.read_text() == "id,tags\nagreed,missile_strikes\nold,missile_strikes\nown,missile_strikes\n"
    assert "left out 3 decisions that accepted the model's proposal; kept 1 stored before" in result.output
    c, _ = client(tmp_path)
    assert c.get("/export.csv", params={"own_only": "1"}).text == out.read_text()
    everything = CliRunner().invoke(main, ["label", "export", "--db", str(db.path),
                                           "--out", str(tmp_path / "all.csv")])
    assert everything.exit_code == 0 and "exported 5 labels" in everything.output


def test_relabel_offers_a_queue_files_labelled_articles_from_the_label_in_force(tmp_path):
    (tmp_path / "again.txt").write_text("fx003\nfx001\n")
    c, session = client(tmp_path)
    session.db.add(Decision(doc_id="fx003", annotator="ann", answer="saved", origin="label"))
    session.db.add(Decision(doc_id="fx001", annotator="bob", answer="saved", origin="label"))
    again, s2 = client(tmp_path, queue=str(tmp_path / "again.txt"), relabel=True)
    html, tab, csrf, doc_id = opened(again)
    assert doc_id == "fx003" and chosen(html)["none"] is True  # ann's label in force
    assert post(again, "/api/decide", csrf, tab=tab, id="fx003", answer="skipped").status_code == 200
    assert claim(again, tab)["id"] == "fx001"
    assert s2.db.log()[-1].origin == "relabel"
    with pytest.raises(Exception, match="queue file"):
        client(tmp_path, queue="order", relabel=True)
    assert post(again, "/api/decide", csrf, tab=tab, id="fx001", none=True).status_code == 200
    assert opened(again, tab=tab)[3] is None  # each decided again: done
    (tmp_path / "more.txt").write_text("fx003\nfx001\nfx005\n")
    plain, _ = client(tmp_path, queue=str(tmp_path / "more.txt"))
    assert opened(plain)[3] == "fx005"  # without relabelling, labelled articles are not offered


def test_views_carry_paragraphs_and_schema_keywords(tmp_path):
    text = "Drones struck the grid.\nIt was dark.\n\nA new paragraph: Patriot systems arrived."
    c, session = client(tmp_path, docs=[Document(id="p", title="T", text=text)])
    view = claim(c)
    assert [text[a:b] for a, b in paragraph_spans(text)] == [
        "Drones struck the grid.\nIt was dark.", "A new paragraph: Patriot systems arrived."]
    assert [[p["start"], p["end"]] for p in view["paragraphs"]] == [list(s) for s in paragraph_spans(text)]
    assert [len(p["sentences"]) for p in view["paragraphs"]] == [2, 1]
    kw = view["keywords"]
    assert [text[a:b] for a, b in kw["missile_strikes"]] == ["Drones", "struck"]
    assert [text[a:b] for a, b in kw["air_defence_aid"]] == ["Patriot"]
    assert paragraph_spans("One.\nTwo.") == [(0, 4), (5, 9)]
    assert paragraph_spans("") == [(0, 0)]


def test_review_marks_the_tags_accepted_from_the_models_proposal(tmp_path):
    c, session = client(tmp_path)
    doc_id = session.order[0]
    session.db.add(Decision(doc_id=doc_id, annotator="ann", answer="saved",
                            tags=("missile_strikes", "energy_attacks"),
                            accepted=("missile_strikes",), proposal=("missile_strikes",),
                            no_evidence=("missile_strikes", "energy_attacks")))
    session.db.add(Decision(doc_id=doc_id, annotator="bob", answer="saved"))
    review, _ = client(tmp_path, queue="review")
    html, *_ = opened(review, "/", "rev")
    assert re.search(r"<strong>ann</strong>: missile_strikes <span class=\"accepted\"[^>]*>"
                     r"\(model's proposal, accepted\)</span>, energy_attacks\n", html)
    assert "<strong>bob</strong>: read, no tag applies" in html


def test_two_servers_on_one_database_see_each_others_decisions_and_undos(tmp_path):
    """Each server keeps the decisions in force in memory, read on from the log's new rows:
    what the other server stored, and undid, shows at once."""
    a, first = client(tmp_path)
    b, second = client(tmp_path)
    _, tab_a, csrf, doc_a = opened(a)
    assert post(a, "/api/decide", csrf, tab=tab_a, id=doc_a, tags=["missile_strikes"],
                no_evidence=["missile_strikes"]).status_code == 200
    assert second.progress("ann")["labelled"] == 1
    _, tab_b, _, doc_b = opened(b, annotator="bob")
    assert doc_b != doc_a  # labelled on the other server: taken
    assert post(a, "/api/undo", csrf, tab=tab_a).json()["undone"]["id"] == doc_a
    assert second.progress("ann")["labelled"] == 0
    assert doc_a not in second.ledger.taken()
    second.db.add(Decision(doc_id=doc_b, annotator="rev", answer="adjudicated"))
    con = first.db.connect()
    assert first.ledger.sync(con).adjudications() == {doc_b: "rev"}
    con.close()


def test_the_ledger_finds_the_disagreements_resolve_finds(tmp_path):
    from tagger.labels.ledger import Ledger
    from tagger.labels.resolve import disagreements

    db = LabelDB(tmp_path / "l.db")
    rows = [("a", "ann", ("missile_strikes",)), ("a", "bob", ()), ("b", "ann", ("energy_attacks",)),
            ("b", "bob", ("energy_attacks",)), ("c", "ann", ()), ("c", "bob", ("missile_strikes",)),
            ("c", "cy", ())]
    for doc, who, tags in rows:
        db.add(Decision(doc_id=doc, annotator=who, answer="saved", tags=tags, no_evidence=tags))
    db.add(Decision(doc_id="c", annotator="bob", answer="skipped"))  # bob's c is now a skip
    db.add(Decision(doc_id="b", annotator="bob", answer="saved", tags=("missile_strikes",),
                    no_evidence=("missile_strikes",)))
    db.undo_last("bob")  # bob's b back to energy_attacks
    con = db.connect()
    ledger = Ledger().sync(con)
    con.close()
    assert ledger.disputed() == set(disagreements(db.current())) == {"a"}
