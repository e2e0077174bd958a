"""The HTML evaluation report: written by evaluate --report, and rendered by a real browser."""


import pytest
from click.testing import CliRunner

from conftest import TAGS
from tagger.cli import main


@pytest.fixture(scope="module")
def report(tmp_path_factory, small_model_dir, labelled_jsonl):
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(main, ["evaluate", "-m", str(small_model_dir), "--data",
                                       str(labelled_jsonl), "--report", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_report_is_one_self_contained_file_with_every_section(report):
    text = report.read_text(encoding="utf-8")
    for heading in ("Scores per tag", "Precision-recall curves", "Calibration",
                    "Missed and wrongly added, per tag", "Worst errors"):
        assert f"<h2>{heading}</h2>" in text
    assert text.count('src="data:image/png;base64,') == 3
    # each worst error shows the best sentence behind each tag it got wrong
    assert text.count("(wrongly added, sentence") + text.count("(missed, sentence") >= 5
    assert "http://" not in text and "https://" not in text  # nothing fetched from elsewhere
    for tag in TAGS:
        assert tag in text


def test_report_renders_with_its_plots_in_headless_chromium(report, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.set_window_size(1200, 900)
    browser.get(report.as_uri())
    assert browser.title == "tagger evaluation"
    images = browser.find_elements(By.CSS_SELECTOR, "img.plot")
    assert len(images) == 3
    for img in images:  # each plot decoded and laid out by the browser
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) > 100
        assert img.size["height"] > 100
    rows = browser.find_elements(By.CSS_SELECTOR, "#scores tr")
    assert len(rows) == 1 + len(TAGS) + 2
    assert len(browser.find_elements(By.CSS_SELECTOR, "#errors tr")) > 1
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
