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
                                     env={"host": "h", "cpu_model": "cpu", "cpu_cores": 2},
                                     timing={"method": "adaptive"}, load_s=0.5, cold_start_s=0.1,
                                     fraction_of_peak=1.3 if batch == 8 else 0.5,  # 1.3: a probe that was too low
                                     warnings=["noisy: coefficient of variation is 12%"])
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


# Run in the page: the overlaps between tick labels of one axis, per figure (none may overlap).
OVERLAPS = """return Array.from(document.querySelectorAll('.figure')).map(function(f){
  var found = [];
  ['.xtick text', '.ytick text'].forEach(function(sel){
    var boxes = Array.from(f.querySelectorAll(sel)).map(function(t){return t.getBoundingClientRect();})
      .filter(function(b){return b.width > 0;});
    for (var i = 0; i < boxes.length; i++) for (var j = i + 1; j < boxes.length; j++) {
      var a = boxes[i], b = boxes[j];
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
        found.push(f.id + ' ' + sel);
    }
  });
  return found;
}).flat();"""

# Each stack's colour in every figure: bars are named by their stack, lines grouped by it.
COLOURS = """return Array.from(document.querySelectorAll('.figure')).map(function(f){
  return f.data.filter(function(t){return t.legendgroup || t.type === 'bar';}).map(function(t){
    return [t.legendgroup || t.name, (t.marker && t.marker.color) || (t.line && t.line.color)];});
}).flat();"""


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
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        driver.get(html_path.resolve().as_uri())
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == []
        # The answer: above the fold, one row per answerable model, steady and sporadic.
        box = driver.execute_script("var b = document.getElementById('answer').getBoundingClientRect();"
                                    "return [b.top, b.bottom, window.innerWidth, window.innerHeight];")
        assert box[2:] == [1400, 900] and box[0] < 900 and box[1] <= 900, box
        answer_rows = driver.execute_script(
            "return Array.from(document.querySelectorAll('#answer tbody tr')).map(r => r.cells[0].innerText)")
        assert answer_rows == ["edsr", "resnet50"]
        sporadic = driver.execute_script(
            "return Array.from(document.querySelectorAll('#answer tbody tr')).map(r => r.cells[7].innerText)")
        assert all(text and text != "none meets the target" for text in sporadic), sporadic
        # Figures: none empty, no tick labels overlapping, fraction of peak within 100%, one colour per stack.
        marks = driver.execute_script(
            "return Array.from(document.querySelectorAll('.figure')).map("
            "f => f.querySelectorAll('.point, .trace path, .bars path').length)")
        assert len(marks) >= 3 and all(count > 0 for count in marks), marks
        assert driver.execute_script(OVERLAPS) == []
        peak = driver.execute_script("return document.getElementById('fig-peak').data.map(t => t.x).flat()")
        assert peak and max(peak) <= 1.0 and 1.0 in peak
        colours = {}
        for stack, colour in driver.execute_script(COLOURS):
            assert colours.setdefault(stack, colour) == colour, stack
        # Every cost row names its model; a click on a column's head sorts the table.
        models = {"resnet50", "edsr", HOSTILE}
        first_cells = driver.execute_script(
            "return Array.from(document.querySelectorAll('table.costs tbody tr')).map(r => r.cells[0].innerText)")
        assert first_cells and set(first_cells) <= models
        driver.execute_script("document.querySelector('table.costs th:nth-child(10)').click()")
        column = driver.execute_script("return Array.from(document.querySelector('table.costs').tBodies[0].rows)"
                                       ".map(r => parseFloat(r.cells[9].innerText.replace(/,/g, '')))")
        assert column == sorted(column)
        href = driver.execute_script("return document.getElementById('raw-download').href")
        raw = base64.b64decode(href.split(",", 1)[1]).decode()
        assert len(raw.splitlines()) == records
        assert HOSTILE in driver.execute_script("return document.body.innerText")
        assert driver.execute_script("return window.alertFired === undefined")
        driver.save_screenshot(str(tmp_path / "report.png"))
        assert (tmp_path / "report.png").stat().st_size > 10_000
    finally:
        driver.quit()


@pytest.mark.slow
def test_summary_and_recommend_print_the_same_answer(tmp_path):
    from click.testing import CliRunner

    from infercost.cli import cli

    fill(tmp_path)
    _, md_path = make_report(str(tmp_path), price_per_hour=0.1, asked=Asked(qps=20, slo_ms=100))
    summary = md_path.read_text()
    result = CliRunner().invoke(cli, ["recommend", "--model", "resnet50", "--resolution", "64", "--qps", "20",
                                      "--slo-ms", "100", "--results", str(tmp_path), "--price-per-hour", "0.1"],
                                env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    printed = [line for line in result.output.splitlines() if line.startswith("resnet50 at 64x64, ")]
    assert len(printed) == 2 and "steady" in printed[0] and "sporadic" in printed[1]
    for line in printed:
        assert f"- {line}" in summary
