"""The HTML report in a real browser (headless Chromium): no console errors, drawn figures, the raw data, escaping."""

from __future__ import annotations

import base64
import shutil

import pytest

from infercost.case import Case
from infercost.commands.report import make_report
from infercost.results import Record, ResultsStore
from infercost.serving.answer import Asked

HOSTILE = "<script>alert(1)</script>"


def fill(directory) -> int:
    store = ResultsStore(directory)
    count = 0
    for model, sizes in (("resnet50", [(b, 64) for b in (1, 2, 4, 8)]), ("edsr", [(1, r) for r in (32, 48, 64)]),
                         (HOSTILE, [(1, 64), (2, 64)])):
        for batch, res in sizes:
            latency = 0.004 * batch * (res / 64) ** 2 + 0.002
            record = Record.for_case(Case(model, batch_size=batch, height=res, width=res), run_id="r", status="ok",
                                     env={"host": "h", "cpu_model": "cpu"}, timing={"method": "adaptive"},
                                     fraction_of_peak=0.5, warnings=["noisy: coefficient of variation is 12%"])
            store.append(record.with_samples([latency, latency * 1.05, latency * 0.98]))
            count += 1
    store.append(Record.for_case(Case("vgg19", batch_size=64), run_id="r", status="oom", env={"host": "h"},
                                 error="out of memory"))
    return count + 1


@pytest.mark.slow
def test_report_escapes_user_text(tmp_path):
    fill(tmp_path)
    html_path, md_path = make_report(str(tmp_path), price_per_hour=0.1, asked=Asked(qps=20))
    page = html_path.read_text()
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert md_path.read_text().startswith("# infercost summary")
    assert "https://" not in page.split("</script>", 1)[1]  # nothing fetched from the network after plotly


browser = pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                             reason="needs Debian's chromium and chromium-driver (the README's set-up installs them)")


@pytest.mark.slow
@browser
def test_report_in_headless_chromium(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver")
    records = fill(tmp_path / "r")
    html_path, _ = make_report(str(tmp_path / "r"), price_per_hour=0.1, asked=Asked(qps=20))
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1300,2400"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.get(html_path.resolve().as_uri())
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == []
        marks = driver.execute_script(
            "return Array.from(document.querySelectorAll('.figure')).map("
            "f => f.querySelectorAll('.point, .trace path, .bars path').length)")
        assert len(marks) == 4 and all(count > 0 for count in marks), marks
        href = driver.execute_script("return document.getElementById('raw-download').href")
        raw = base64.b64decode(href.split(",", 1)[1]).decode()
        assert len(raw.splitlines()) == records
        assert HOSTILE in driver.execute_script("return document.body.innerText")
        assert driver.execute_script("return window.alertFired === undefined")
        driver.save_screenshot(str(tmp_path / "report.png"))
        assert (tmp_path / "report.png").stat().st_size > 10_000
    finally:
        driver.quit()
