"""Writes docs/explain.png (the page of `tagger explain --format html`) and docs/label.png
(the page of `tagger label` on the seed articles), as headless Chromium shows them (for the
README).

    python tools/screenshots.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
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


def label_page() -> None:
    """The labelling page on a seed article: the model's tags ticked (dashed) with their
    evidence, and the annotator's own evidence for one of them marked by click (solid)."""
    from selenium.webdriver.common.by import By

    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "tagger"), "label", "--data", str(REPO / "seeds"),
             "--db", f"{tmp}/labels.db", "--tags", str(REPO / "labels" / "tags.toml"),
             "--annotator", "alice", "--port", "0"], stdout=subprocess.PIPE, text=True)
        try:
            server.stdout.readline()
            url = server.stdout.readline().split()[1]
            browser = chromium(tmp)
            try:
                browser.set_window_size(1300, 900)
                browser.get(url)
                body = browser.find_element(By.TAG_NAME, "body")
                body.send_keys("3", "3")  # escalation_rhetoric: unticked, ticked as one's own
                sentence = next(s for s in browser.find_elements(By.CSS_SELECTOR, ".s")
                                if "entitled" in s.text)
                sentence.click()  # the model's evidence, unmarked ...
                sentence.click()  # ... and marked as the annotator's own
                (REPO / "docs").mkdir(exist_ok=True)
                browser.save_screenshot(str(REPO / "docs" / "label.png"))
            finally:
                browser.quit()
        finally:
            server.kill()
            server.wait()


def main() -> None:
    label_page()
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "why.html"
        subprocess.run([str(Path(sys.executable).parent / "tagger"), "explain", str(SEED),
                        "--tag", "escalation_rhetoric", "--format", "html", "--out", str(page)],
                       check=True)
        browser = chromium(tmp)
        try:
            browser.set_window_size(1100, 1300)
            browser.get(page.as_uri())
            (REPO / "docs").mkdir(exist_ok=True)
            browser.save_screenshot(str(REPO / "docs" / "explain.png"))
        finally:
            browser.quit()


if __name__ == "__main__":
    main()
