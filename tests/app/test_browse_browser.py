"""`tagger browse` as a person meets it: a real server over an archive of the fixture
articles, driven by keyboard in headless Chromium, and the correction read back by
`tagger label export`."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from archives import FIXTURE_TAGS, fixture_docs, make_archive
from conftest import PATIENCE
from tagger.cli import main

TAGGER = Path(sys.executable).parent / "tagger"
RUNS = [{"finished": "2023-02-01T08:00:00Z", "drift": {"warning": False, "reasons": []}},
        {"finished": "2023-04-03T08:00:00Z",
         "drift": {"warning": True, "reasons": ["38% of words unseen in training"]}}]


class BrowseServer:
    def __init__(self, *args: str):
        self.proc = subprocess.Popen([str(TAGGER), "browse", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first, second = self.proc.stdout.readline(), self.proc.stdout.readline()
        if not second.startswith("open "):
            raise RuntimeError("tagger browse did not start: " + first + self.proc.stderr.read())
        self.url = second.split()[1]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def press(browser, *keys):
    from selenium.webdriver.common.action_chains import ActionChains

    chain = ActionChains(browser)
    for k in keys:
        chain.send_keys(k)
    chain.perform()


def wait_for(browser, css, timeout=PATIENCE):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(lambda b: b.find_elements("css selector", css))


def test_browse_by_keyboard_search_open_and_correct_a_tag(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    archive = make_archive(tmp_path / "archive.sqlite", fixture_docs(), FIXTURE_TAGS, runs=RUNS)
    db = tmp_path / "labels.db"
    with BrowseServer(str(archive), "--db", str(db), "--annotator", "ed") as server:
        assert "?token=" in server.url
        browser.get(server.url)
        con = sqlite3.connect(archive)
        for t in FIXTURE_TAGS:
            cell = browser.find_element("css selector", f'td.n[data-tag="{t}"]')
            assert int(cell.text) == con.execute(
                f'SELECT count(*) FROM documents WHERE "{t}" = 1').fetchone()[0]
        assert len(browser.find_elements("css selector", "svg.chart polyline")) == 4
        assert len(browser.find_elements("css selector", "svg.chart g.drift")) == 1
        press(browser, "/", "IRIS", Keys.ENTER)  # a word of fx010's text
        wait_for(browser, "#results")
        ids = [a.get_attribute("data-id") for a in
               browser.find_elements("css selector", "#results a.result")]
        assert ids == ["fx037", "fx010"]  # both hold the sentence; newest first
        press(browser, "j", "j", Keys.ENTER)
        wait_for(browser, "#doc")
        marks = browser.find_elements("css selector", "#text mark.ev")
        assert [m.text for m in marks] == [
            "Germany pledged two more IRIS-T air defence systems to Ukraine."]
        press(browser, "2")  # air_defence_aid, the second tag: its "wrong tag" button
        focused = browser.switch_to.active_element
        assert (focused.get_attribute("data-tag"), focused.get_attribute("data-kind")) == (
            "air_defence_aid", "wrong")
        press(browser, Keys.ENTER)
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(browser, PATIENCE).until(
            lambda b: b.find_element("id", "status").text.startswith("Stored"))
    out = tmp_path / "labels.jsonl"
    result = CliRunner().invoke(main, ["label", "export", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["tags"]) for r in exported] == [("fx010", [])]


def test_filters_form_and_paging_in_the_browser(browser, tmp_path):
    from selenium.webdriver.support.ui import Select

    archive = make_archive(tmp_path / "archive.sqlite", fixture_docs(copies=3), FIXTURE_TAGS,
                           runs=RUNS)
    with BrowseServer(str(archive), "--no-token") as server:
        assert "token" not in server.url
        browser.get(server.url)
        form = browser.find_element("id", "filters")
        Select(form.find_element("name", "tag")).select_by_value("air_defence_aid")
        form.find_element("css selector", "button[type=submit]").click()
        wait_for(browser, "#results")
        assert "tag=air_defence_aid" in browser.current_url
        total = int(browser.find_element("id", "total").text)
        assert total == sum(r["air_defence_aid"] for r in fixture_docs(copies=3))
        csv_link = browser.find_element("id", "csv").get_attribute("href")
        assert "tag=air_defence_aid" in csv_link
