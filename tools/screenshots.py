"""Writes docs/explain.png (the page of `tagger explain --format html`), docs/label.png and
docs/label-history.png (the page of `tagger label` on the seed articles) and docs/report.png
(the report of `tagger evaluate --by quarter --report`, on our own synthetic fixture corpus,
never on the publishers' text), and docs/browse.png (the front page of `tagger browse` over
an archive of the fixture articles), as headless Chromium shows them (for the manual: the
README shows label.png, the pages of docs/ all of them).

    python tools/screenshots.py [label] [report] [explain] [browse]   (all when none is named)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "000_2c1dc2b1a7e2b655.txt"


def chromium(tmp: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 f"--user-data-dir={tmp}/profile"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


@contextmanager
def served(args: list[str], tmp: str, size: tuple[int, int]):
    """A browser of ``size`` on the page of ``tagger ARGS --port 0`` (its address, token and
    all, read from what the command prints); the browser and the server stopped after."""
    server = subprocess.Popen([str(Path(sys.executable).parent / "tagger"), *args, "--port", "0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        server.stdout.readline()
        url = server.stdout.readline().split()[1]
        browser = chromium(tmp)
        try:
            browser.set_window_size(*size)
            browser.get(url)
            yield browser
        finally:
            browser.quit()
    finally:
        server.kill()
        server.wait()


def label_page() -> None:
    """The labelling page on the seed articles, with the shipped model: docs/label.png shows
    the model's proposal as its own layer (one tag accepted by a click on its chip, another
    still only proposed) beside a tag the annotator chose by its key, with the evidence
    sentence they clicked; docs/label-history.png, 900 px wide, two decisions later, the history panel
    open to reopen one, and the note of what was just saved above the action bar."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def press(*keys):
        chain = ActionChains(browser)
        for k in keys:
            chain.send_keys(k)
        chain.perform()

    def next_page(old):
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(browser, 15).until(
            lambda b: b.find_elements(By.ID, "doc")
            and b.find_element(By.ID, "doc").get_attribute("data-id") != old)

    with tempfile.TemporaryDirectory() as tmp:
        with served(["label", "--data", str(REPO / "seeds"), "--db", f"{tmp}/labels.db",
                     "--tags", str(REPO / "labels" / "tags.toml"), "--annotator", "alice"],
                    tmp, (1300, 1150)) as browser:
            next_page(None)  # the page claims its first article, then shows it
            first = browser.find_element(By.ID, "doc").get_attribute("data-id")
            chips = browser.find_elements(By.CSS_SELECTOR, ".tag .proposal")
            chips[0].click()  # the model's first proposed tag, accepted as it is
            press("3")  # escalation_rhetoric, chosen by the annotator ...
            sentence = next(s for s in browser.find_elements(By.CSS_SELECTOR, "#text .s")
                            if "entitled" in s.text)
            sentence.click()  # ... with the sentence that earns it
            browser.execute_script("window.scrollTo(0, 0)")
            (REPO / "docs").mkdir(exist_ok=True)
            browser.save_screenshot(str(REPO / "docs" / "label.png"))
            press(Keys.ENTER)
            next_page(first)
            second = browser.find_element(By.ID, "doc").get_attribute("data-id")
            press("0", Keys.ENTER)
            next_page(second)
            browser.set_window_size(900, 700)
            press("h")
            from selenium.webdriver.support.ui import WebDriverWait

            WebDriverWait(browser, 10).until(
                lambda b: len(b.find_elements(By.CSS_SELECTOR, "#history-list li")) == 2)
            browser.save_screenshot(str(REPO / "docs" / "label-history.png"))


def report_page() -> None:
    """The evaluation report of a model trained on 32 of the fixture articles, scoring
    the other 16, each given a date in one of the four quarters of 2023, so the report
    shows F1 over time."""
    import json

    tagger = str(Path(sys.executable).parent / "tagger")
    fixtures = REPO / "tests" / "fixtures"
    with tempfile.TemporaryDirectory() as tmp:
        records = [json.loads(line) for line in (fixtures / "articles.jsonl").read_text().splitlines()]
        dated = [{**r, "date": f"2023-{1 + 3 * (i % 4):02d}-15"} for i, r in enumerate(records)]
        data = Path(tmp) / "dated.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in dated))
        first = Path(tmp) / "first.jsonl"
        first.write_text("".join(json.dumps(r) + "\n" for r in dated[:32]))
        labels = fixtures / "labels.csv"
        first_labels = Path(tmp) / "first.csv"
        first_labels.write_text("\n".join(labels.read_text().splitlines()[:33]) + "\n")
        subprocess.run([tagger, "train", "--data", str(first), "--labels", str(first_labels),
                        "--tags", str(REPO / "labels" / "tags.toml"), "--folds", "3", "--no-search",
                        "--quiet", "--model", f"{tmp}/model"], check=True)
        page = Path(tmp) / "report.html"
        subprocess.run([tagger, "evaluate", "--model", f"{tmp}/model", "--data", str(data),
                        "--labels", str(labels), "--by", "quarter", "--report", str(page)],
                       check=True, stdout=subprocess.DEVNULL)
        browser = chromium(tmp)
        try:
            browser.set_window_size(1150, 1500)
            browser.get(page.as_uri())
            browser.execute_script("document.querySelector('h2:nth-of-type(4)').scrollIntoView()")
            browser.save_screenshot(str(REPO / "docs" / "report.png"))
        finally:
            browser.quit()


def explain_page() -> None:
    """The explanation of a seed article: every tag's score and threshold, then each tag
    given with its words (n-gram, keyword and sentence parts together) and best sentence."""
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "why.html"
        subprocess.run([str(Path(sys.executable).parent / "tagger"), "explain", str(SEED),
                        "--format", "html", "--out", str(page)], check=True)
        browser = chromium(tmp)
        try:
            browser.set_window_size(1100, 1300)
            browser.get(page.as_uri())
            (REPO / "docs").mkdir(exist_ok=True)
            browser.save_screenshot(str(REPO / "docs" / "explain.png"))
        finally:
            browser.quit()


def browse_page() -> None:
    """docs/browse.png: the front page of `tagger browse` over an archive of the fixture
    articles (our own synthetic text), six times over and dated across 2023-2024, with
    one run whose drift report warned."""
    sys.path.insert(0, str(REPO / "tests"))
    from archives import FIXTURE_TAGS, fixture_docs, make_archive

    runs = [{"finished": "2023-06-01T06:00:00Z", "drift": {"warning": False, "reasons": []}},
            {"finished": "2024-01-15T06:00:00Z",
             "drift": {"warning": True, "reasons": ["31% of words unseen in training "
                                                    "(training documents 12%)"]}}]
    with tempfile.TemporaryDirectory() as tmp:
        archive = make_archive(Path(tmp) / "archive.sqlite", fixture_docs(6, days=1.5),
                               FIXTURE_TAGS, runs=runs)
        with served(["browse", str(archive), "--db", f"{tmp}/labels.db"], tmp,
                    (1100, 1250)) as browser:
            (REPO / "docs").mkdir(exist_ok=True)
            browser.save_screenshot(str(REPO / "docs" / "browse.png"))


PAGES = {"label": label_page, "report": report_page, "explain": explain_page,
         "browse": browse_page}


def main(names: list[str]) -> None:
    """Write the pages named (all of them when none is)."""
    for name in names or PAGES:
        if name not in PAGES:
            sys.exit(f"no page {name!r} (pages: {', '.join(PAGES)})")
        PAGES[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
