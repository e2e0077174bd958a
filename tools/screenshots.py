"""Writes docs/explain.png: the page of `tagger explain --format html`, as headless Chromium
shows it (for the README).

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


def main() -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "why.html"
        subprocess.run([str(Path(sys.executable).parent / "tagger"), "explain", str(SEED),
                        "--tag", "escalation_rhetoric", "--format", "html", "--out", str(page)],
                       check=True)
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium")
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                     f"--user-data-dir={tmp}/profile"):
            options.add_argument(flag)
        browser = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        try:
            browser.set_window_size(1100, 1300)
            browser.get(page.as_uri())
            (REPO / "docs").mkdir(exist_ok=True)
            browser.save_screenshot(str(REPO / "docs" / "explain.png"))
        finally:
            browser.quit()


if __name__ == "__main__":
    main()
