"""`tagger label` as a person and as a crash meet it: a real server, headless Chromium driven
by keyboard and mouse, concurrent annotators over HTTP, and kill -9."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from click.testing import CliRunner

from conftest import FIXTURE_ARTICLES, PATIENCE, REPO, SCHEMA
from labelserver import Annotator, LabelServer, request
from tagger.cli import main
from tagger.labels.database import LabelDB


def WebDriverWait(browser, timeout):  # noqa: N802 (selenium's name)
    from selenium.webdriver.support.ui import WebDriverWait as wait

    return wait(browser, timeout)

LABEL_FIXTURE = ["--data", str(FIXTURE_ARTICLES), "--tags", str(SCHEMA), "--no-model",
                 "--annotator", "ann"]


def wait_for_next(browser, old_id, timeout=PATIENCE):
    from selenium.webdriver.support.ui import WebDriverWait

    def moved(b):
        try:
            if not settled(b):
                return False
            docs = b.find_elements("id", "doc")
            return (docs[0].get_attribute("data-id") if docs else "") != old_id
        except Exception:  # the page is being replaced
            return False
    WebDriverWait(browser, timeout).until(moved)
    return doc_id(browser)


def settled(browser) -> bool:
    """The page shows what its tab holds (a page with nothing claims by POST, then reloads)."""
    return bool(browser.execute_script("return document.body && document.body.dataset.settled"))


def doc_id(browser, timeout=PATIENCE):
    WebDriverWait(browser, timeout).until(settled)
    docs = browser.find_elements("id", "doc")
    return docs[0].get_attribute("data-id") if docs else None


def keys(browser, *sequence):
    from selenium.webdriver.common.action_chains import ActionChains

    chain = ActionChains(browser)
    for k in sequence:
        chain.send_keys(k)
    chain.perform()


def sentence(browser, k):
    return browser.find_elements("css selector", "#text .s")[k]


def test_label_five_articles_by_keyboard_and_export_what_was_typed(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    db = tmp_path / "labels.db"
    with LabelServer(*LABEL_FIXTURE, "--db", str(db)) as server:
        browser.get(server.url)
        expected = {}
        first = doc_id(browser)
        keys(browser, "1")  # missile_strikes, evidence by click
        s0 = sentence(browser, 0)
        s0.click()
        assert "ev-active" in s0.get_attribute("class")
        assert "chosen" in browser.find_element("css selector", '.tag[data-tag="missile_strikes"]').get_attribute("class")
        expected[first] = {"tags": ["missile_strikes"], "evidence": {"missile_strikes": [s0.text]}}
        keys(browser, Keys.ENTER)
        second = wait_for_next(browser, first)
        keys(browser, Keys.ENTER)  # nothing chosen: refused, with a reason
        assert "Nothing stored" in browser.find_element("id", "status").text
        keys(browser, "0", Keys.ENTER)
        expected[second] = {"tags": []}
        third = wait_for_next(browser, second)
        keys(browser, "2", Keys.ENTER)  # a tag with no evidence is refused ...
        assert "air_defence_aid has no evidence" in browser.find_element("id", "status").text
        keys(browser, "n", Keys.ENTER)  # ... unless the annotator says so
        expected[third] = {"tags": ["air_defence_aid"]}
        fourth = wait_for_next(browser, third)
        keys(browser, "3")
        s1 = sentence(browser, 1)
        s1.click()
        keys(browser, "1")
        s0 = sentence(browser, 0)
        s0.send_keys("e")  # the focused sentence, by key
        expected[fourth] = {"tags": ["missile_strikes", "escalation_rhetoric"],
                            "evidence": {"escalation_rhetoric": [s1.text], "missile_strikes": [s0.text]}}
        keys(browser, Keys.ENTER)
        fifth = wait_for_next(browser, fourth)
        keys(browser, "4")
        sentence(browser, 0).click()
        keys(browser, Keys.ENTER)
        sixth = wait_for_next(browser, fifth)
        keys(browser, "u")  # undo: the fifth comes back as it was saved
        assert wait_for_next(browser, sixth) == fifth
        assert "chosen" in browser.find_element("css selector", '.tag[data-tag="energy_attacks"]').get_attribute("class")
        keys(browser, "0", Keys.ENTER)
        expected[fifth] = {"tags": []}
        assert wait_for_next(browser, fifth) == sixth
        keys(browser, "s")  # skip the sixth
        seventh = wait_for_next(browser, sixth)
        browser.refresh()  # the state is the server's: a reload shows the same
        assert doc_id(browser) == seventh
        assert browser.find_element("id", "labelled").text == "5"
        assert browser.find_element("id", "remaining").text == str(48 - 6)
    out = tmp_path / "new.jsonl"
    result = CliRunner().invoke(main, ["label", "export", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = {r.pop("id"): r for r in map(json.loads, out.read_text().splitlines())}
    assert exported == {k: {**v, "tags": sorted(v["tags"], key=["missile_strikes", "air_defence_aid",
                                                                   "escalation_rhetoric",
                                                                   "energy_attacks"].index)}
                        for k, v in expected.items()}
    answers = [d.answer for d in LabelDB(db).log()]
    assert answers == ["saved"] * 5 + ["undone", "saved", "skipped"]


def test_an_article_holding_script_and_onerror_renders_as_text(browser, tmp_path):
    hostile = {"id": "evil", "title": "<script>window.xssRan = 'title'</script>",
               "text": "A missile hit. <img src=x onerror=\"window.xssRan = 'img'\"> More. "
                       "</span><script>window.xssRan = 'text'</script> End."}
    data = tmp_path / "evil.jsonl"
    data.write_text(json.dumps(hostile) + "\n")
    with LabelServer("--data", str(data), "--db", str(tmp_path / "l.db"), "--tags", str(SCHEMA),
                     "--no-model") as server:
        browser.get(server.url)
        assert doc_id(browser) == "evil"  # claimed by the page's POST, then shown
        assert browser.find_element("tag name", "h1").text == hostile["title"]
        text = browser.find_element("id", "text")
        assert "<img src=x onerror=" in text.text and "</span><script>" in text.text
        assert text.find_elements("tag name", "img") == []
        assert text.find_elements("tag name", "script") == []
        assert browser.execute_script("return window.xssRan") is None


@pytest.mark.slow
def test_kill_9_after_acknowledged_saves_loses_none(tmp_path):
    db = tmp_path / "labels.db"
    server = LabelServer(*LABEL_FIXTURE, "--db", str(db))
    acknowledged = []
    try:
        ann = Annotator(server, "ann")
        for _ in range(20):
            doc = ann.next()
            status, body = ann.save(doc, tags=["missile_strikes"], no_evidence=["missile_strikes"])
            assert status == 200, body
            acknowledged.append(doc["id"])
    finally:
        server.kill()  # SIGKILL: no shutdown, no flush
    assert server.proc.returncode == -9
    assert [d.doc_id for d in LabelDB(db).current("ann")] == acknowledged
    with LabelServer(*LABEL_FIXTURE, "--db", str(db)) as again:
        assert request(again.base + "/api/progress?annotator=ann", headers=again.headers)[1]["labelled"] == 20


@pytest.mark.slow
@pytest.mark.parametrize("servers", [1, 2], ids=["one server", "a server each"])
def test_concurrent_annotators_lose_no_decision_and_never_share_an_article(tmp_path, servers):
    db = tmp_path / "labels.db"
    saved: dict[str, list] = {}
    errors = []
    with LabelServer(*LABEL_FIXTURE, "--db", str(db)) as first, \
            LabelServer(*LABEL_FIXTURE, "--db", str(db)) as second:
        def work(name, tab):
            server = second if servers == 2 and name == "bob" else first
            client = Annotator(server, name)
            mine = saved.setdefault(f"{name}/{tab}", [])
            try:
                while (doc := client.next()) is not None:
                    status, body = client.save(doc, none=True)
                    if status != 200:
                        errors.append(body)
                        return
                    mine.append(doc["id"])
            except Exception as exc:  # reported below, not lost in a thread
                errors.append(repr(exc))

        workers = [threading.Thread(target=work, args=(name, f"tab-{name}-{k}-0000"))
                   for name in ("ann", "bob") for k in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=120)
    assert not errors
    every = [d for ids in saved.values() for d in ids]
    assert len(every) == len(set(every)) == 48  # each article once, none lost, none twice
    stored = LabelDB(db).current()
    assert sorted(d.doc_id for d in stored) == sorted(every)
    assert all(len(ids) > 0 for ids in saved.values())


@pytest.mark.slow
def test_beyond_loopback_every_request_needs_the_generated_token(tmp_path):
    with LabelServer(*LABEL_FIXTURE, "--db", str(tmp_path / "l.db"), "--host", "0.0.0.0") as server:
        assert "?token=" in server.url
        token = server.url.split("token=")[1]
        base = server.base.replace("0.0.0.0", "127.0.0.1")
        assert request(base + "/api/progress")[0] == 403
        assert request(base + "/api/undo", {"tab": "tab-00000000"})[0] == 403
        status, body = request(base + "/api/progress", headers={"Authorization": f"Bearer {token}"})
        assert status == 200 and body["labelled"] == 0


def test_a_new_user_labels_the_economist_corpus_with_the_shipped_model_and_trains_on_it(
        browser, tmp_path, shared_dir):
    from selenium.webdriver.common.keys import Keys

    corpus = shared_dir / "corpus" / "economist-2023-2025.jsonl"
    db = tmp_path / "labels.db"
    with LabelServer("--data", str(corpus), "--db", str(db), "--tags", str(REPO / "labels" / "tags.toml"),
                     "--labels", str(REPO / "labels" / "economist-random.csv"),
                     "--annotator", "newuser") as server:
        browser.get(server.url)
        labelled = []
        for _ in range(3):
            current = doc_id(browser)
            assert browser.find_elements("css selector", ".tag.chosen") == []  # nothing pre-ticked
            if browser.find_elements("css selector", ".tag .proposal"):
                keys(browser, "a")  # accept the model's tags, with its evidence
                assert browser.find_elements("css selector", "#text .s.ev.from-model")
            else:
                keys(browser, "0")
            keys(browser, Keys.ENTER)
            labelled.append(current)
            wait_for_next(browser, current)
    out = tmp_path / "new.jsonl"
    assert CliRunner().invoke(main, ["label", "export", "--db", str(db), "--out", str(out)]).exit_code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 123 and {r["id"] for r in rows} >= set(labelled)
    result = CliRunner().invoke(main, ["train", "--data", str(corpus), "--labels", str(out),
                                       "--tags", str(REPO / "labels" / "tags.toml"), "--no-search",
                                       "--ngram-max", "1", "--folds", "3", "--quiet",
                                       "--model", str(tmp_path / "model")])
    assert result.exit_code == 0, result.output
    assert "trained on 123 labelled documents" in result.output


# -- the model proposes, the person decides: one server with a model, one long article ----

LONG_ID = "long"


@pytest.fixture(scope="module")
def proposing(tmp_path_factory, fixture_model):
    """A server with the fixture model and a token, its queue opening with a long article
    (forty fixture sentences in paragraphs), and its database."""
    tmp = tmp_path_factory.mktemp("proposing")
    records = [json.loads(line) for line in FIXTURE_ARTICLES.read_text().splitlines()]
    text = "\n\n".join(r["text"] for r in records[:14])
    data = tmp / "articles.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in
                            [{"id": LONG_ID, "title": "A long report", "text": text}, *records]))
    db = tmp / "labels.db"
    with LabelServer("--data", str(data), "--tags", str(SCHEMA), "--model", str(fixture_model),
                     "--annotator", "ann", "--db", str(db), "--token", "tok-" + uuid.uuid4().hex) as server:
        yield server, db


def toast(browser):
    return browser.find_element("id", "status")


def on_screen(browser, element) -> bool:
    """Drawn, and wholly inside the window (not below the fold nor under the action bar)."""
    return element.is_displayed() and browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
        "return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth"
        " && (top === arguments[0] || arguments[0].contains(top));", element)


def test_at_800_px_every_control_is_on_screen_and_enter_on_an_untouched_article_stores_nothing(
        browser, proposing):
    from selenium.webdriver.common.keys import Keys

    server, db = proposing
    browser.set_window_size(800, 700)
    browser.get(server.url)
    assert doc_id(browser) == LONG_ID
    controls = browser.find_elements("css selector", "#bar button, header button, #search, .tag .own, .tag .proposal")
    assert len(controls) >= 10 and browser.find_elements("css selector", ".tag .proposal")
    assert [c.text for c in controls if not on_screen(browser, c)] == []
    assert browser.find_elements("css selector", ".tag.chosen, .pick:checked") == []  # nothing pre-ticked
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    assert browser.execute_script("return scrollY") > 300  # a long article, read to its end
    for _ in range(3):
        keys(browser, Keys.ENTER)
    assert on_screen(browser, toast(browser)) and "Nothing stored" in toast(browser).text
    assert "press a to accept the model's proposal" in toast(browser).text.lower()
    assert [c.text for c in controls if not on_screen(browser, c)] == []  # scrolled: still all there
    assert doc_id(browser) == LONG_ID
    assert LabelDB(db).log() == []
    keys(browser, "1")
    assert toast(browser).text.startswith("missile_strikes: added")
    keys(browser, "1")
    assert toast(browser).text == "missile_strikes: removed"
    assert browser.find_elements("css selector", ".tag.chosen") == []
    focused = lambda: browser.execute_script("return document.activeElement.dataset.start")  # noqa: E731
    starts = [s.get_attribute("data-start") for s in browser.find_elements("css selector", "#text .s")]
    keys(browser, "j", "j", "j", "k")  # sentence by sentence
    assert focused() == starts[1]
    keys(browser, "g")  # to the model's evidence
    assert browser.execute_script("return document.activeElement.dataset.model")
    assert toast(browser).text.startswith("The model's evidence for")
    assert browser.execute_script(  # between the header and the action bar
        "const r = document.activeElement.getBoundingClientRect();"
        "return r.top >= document.querySelector('header').getBoundingClientRect().bottom"
        " && r.bottom <= document.getElementById('bar').getBoundingClientRect().top")
    opened = lambda: len(browser.find_elements("css selector", "details.def[open]"))  # noqa: E731
    before = opened()
    keys(browser, "d")  # definitions folded or shown, all at once
    assert {before, opened()} == {0, len(browser.find_elements("css selector", "details.def"))}
    keys(browser, "d")


def test_accepting_the_proposal_stores_it_marked_and_a_reopened_decision_changed_is_exported(
        browser, proposing):
    from selenium.webdriver.common.keys import Keys

    server, db = proposing
    browser.set_window_size(1200, 900)
    browser.get(server.url)  # the token, as a cookie
    browser.get(server.base + "/doc/" + LONG_ID)  # open by id (the last test's tab may hold it)
    assert doc_id(browser) == LONG_ID
    proposed = json.loads(browser.find_element("id", "chosen").get_attribute("textContent"))["proposal"]["tags"]
    assert proposed
    keys(browser, "a", Keys.ENTER)  # the whole proposal, accepted
    second = wait_for_next(browser, LONG_ID)
    assert "(model's, accepted)" in toast(browser).text  # what was saved, after the reload
    (stored,) = [d for d in LabelDB(db).log() if d.doc_id == LONG_ID]
    assert list(stored.tags) == proposed and list(stored.accepted) == proposed
    keys(browser, "1")  # the annotator's own: missile_strikes, with no evidence sentence
    keys(browser, "n", Keys.ENTER)
    wait_for_next(browser, second)

    browser.find_element("id", "stats-button").click()  # the share of accepted proposals
    summary = WebDriverWait(browser, PATIENCE).until(lambda b: b.find_element("id", "stats-summary"))
    share = len(proposed) / (len(proposed) + 1)
    assert f"accepted unchanged: {round(share * 100)}%" in summary.text
    assert browser.find_elements("css selector", "#stats td")  # kappa per tag

    keys(browser, Keys.ESCAPE, "h")  # the history: newest first; reopen the long article
    WebDriverWait(browser, PATIENCE).until(lambda b: len(b.find_elements("css selector", "#history-list li")) == 2)
    first, older = browser.find_elements("css selector", "#history-list li")
    assert first.get_attribute("data-id") == second and "model's accepted" in older.text
    third = doc_id(browser)
    keys(browser, Keys.ARROW_DOWN, Keys.ENTER)
    wait_for_next(browser, third)
    assert doc_id(browser) == LONG_ID and "Reopened" in browser.find_element("id", "reopened").text
    assert {e.get_attribute("data-tag") for e in browser.find_elements("css selector", ".tag.accepted")} == set(proposed)
    keys(browser, "0", Keys.ENTER)  # changed: no tag applies after all
    wait_for_next(browser, LONG_ID)
    assert [d.tags for d in LabelDB(db).log() if d.doc_id == LONG_ID] == [tuple(proposed), ()]
    exported = browser.execute_async_script(
        "const done = arguments[0];"
        "fetch(document.getElementById('export-jsonl').href).then(r => r.text()).then(done)")
    rows = {r["id"]: r for r in map(json.loads, exported.splitlines())}
    assert rows[LONG_ID]["tags"] == [] and rows[second]["tags"] == ["missile_strikes"]

    keys(browser, "/")  # search by words; Enter opens the first
    keys(browser, "Gepard anti-aircraft")
    WebDriverWait(browser, PATIENCE).until(lambda b: b.find_elements("css selector", "#search-results li[data-id]"))
    found = browser.find_element("css selector", "#search-results li.selected").get_attribute("data-id")
    keys(browser, Keys.ENTER)
    WebDriverWait(browser, PATIENCE).until(lambda b: "/doc/" in b.current_url)
    assert doc_id(browser) == found


def test_a_closed_tab_frees_its_article_in_seconds(browser, proposing):
    server, _ = proposing
    main_window = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.get(server.url + "&annotator=cat")
    shown = doc_id(browser)
    browser.close()  # pagehide: the page releases its claim
    browser.switch_to.window(main_window)
    started = time.monotonic()
    for _ in range(50):  # a new tab each time (the server's): the first free article
        poll = Annotator(server, "cat")
        if poll.next()["id"] == shown:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"{shown} was still held by the closed tab after 5 s")
    assert time.monotonic() - started < 5
