"""Bad input of every kind ends in exit 2, one short line on stderr and no traceback, quickly; never in nonsense.

Generated values come from each option's own stated range (infercost.limits): nan, infinities, values just outside
the range, fractions where a whole number is due, and text that is no number. Files are random bytes.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from infercost import limits
from infercost.case import Case
from infercost.cli import cli
from infercost.env import fingerprint
from infercost.errors import InfercostError
from infercost.results import Record, ResultsStore
from infercost.units import parse_duration, parse_size

# derandomize: the same examples on every run, so CI is deterministic (a new seed is a deliberate change here).
HOSTILE = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])
SPECIALS = ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e309", "-1e309", "", " ", "abc", "0x10",
            "--", "None", "1e", "½", "²", "١e3"]


def invoke(args: list[str]):
    started = time.monotonic()
    result = CliRunner().invoke(cli, args)
    return result, time.monotonic() - started


def assert_refused(args: list[str]) -> None:
    if args[0] == "bench":
        args = [*args, "--no-probe", "--out", "/dev/null/must-not-run"]  # a case that runs fails loudly here
    result, elapsed = invoke(args)
    assert result.exit_code == 2, (args, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), (args, result.exception)  # not an escaped exception
    message = result.stderr.strip()
    assert message.startswith("error:") and "Traceback (most recent call last)" not in result.output, \
        (args, result.output)
    assert len(message.splitlines()) <= 3, (args, message)
    assert "can't write results to /dev/null" not in message, (args, "a case ran")
    assert elapsed < 20, (args, elapsed)


def outside(bound: limits.Bound) -> st.SearchStrategy[str]:
    """Text for values this bound refuses."""
    below = st.floats(max_value=bound.low, exclude_max=not bound.low_open, allow_nan=False)
    above = st.floats(min_value=bound.high, exclude_min=True, allow_nan=False)
    numbers = st.one_of(below, above).map(repr)
    if bound.integer:
        fractions = st.floats(min_value=bound.low, max_value=bound.high).filter(lambda x: x != int(x)).map(repr)
        numbers = st.one_of(numbers, fractions)
    words = st.text(max_size=12).filter(lambda t: not _is_number(t))
    return st.one_of(st.sampled_from(SPECIALS).filter(lambda t: not _inside(bound, t)), numbers, words)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _inside(bound: limits.Bound, text: str) -> bool:
    try:
        bound.check("x", text)
    except InfercostError:
        return False
    return True


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A small valid results directory: edsr at 32px, batches 1 and 2, as if measured here."""
    directory = tmp_path_factory.mktemp("results")
    store = ResultsStore(directory)
    env = fingerprint()
    for batch in (1, 2):
        case = Case("edsr", batch_size=batch, height=32, width=32)
        store.append(Record.for_case(case, run_id="t", status="ok", env=env, timing={"method": "adaptive"})
                     .with_samples([0.004 * batch] * 5))
    return str(directory)


X = "{X}"
NUMERIC = [
    (["cost", "--price-per-hour", "1", "--latency-ms", X], limits.LATENCY_MS),
    (["cost", "--price-per-hour", X, "--latency-ms", "10"], limits.PRICE_PER_HOUR),
    (["cost", "--price-per-hour", "1", "--latency-ms", "10", "--batch", X], limits.BATCH),
    (["cost", "--price-per-hour", "1", "--latency-ms", "10", "--qps", X], limits.QPS),
    (["cost", "--price-per-hour", "1", "--latency-ms", "10", "--monthly-requests", X], limits.MONTHLY_REQUESTS),
    (["simulate", "--results", "{R}", "--model", "edsr", "--qps", X, "--slo-ms", "50"], limits.QPS),
    (["simulate", "--results", "{R}", "--model", "edsr", "--qps", "5", "--slo-ms", X], limits.LATENCY_MS),
    (["simulate", "--results", "{R}", "--model", "edsr", "--qps", "5", "--slo-ms", "50", "--percentile", X],
     limits.PERCENTILE),
    (["simulate", "--results", "{R}", "--model", "edsr", "--qps", "5", "--slo-ms", "50", "--max-batch", X],
     limits.MAX_BATCH),
    (["simulate", "--results", "{R}", "--model", "edsr", "--qps", "5", "--slo-ms", "50", "--max-delay-ms", X],
     limits.DELAY_MS),
    (["simulate", "--results", "{R}", "--model", "edsr", "--qps", "5", "--slo-ms", "50", "--replicas", X],
     limits.REPLICAS),
    (["loadtest", "edsr", "--qps", X], limits.QPS),
    (["loadtest", "edsr", "--qps", "5", "--max-batch", X], limits.SERVED_BATCH),
    (["loadtest", "edsr", "--qps", "5", "--seed", X], limits.SEED),
    (["loadtest", "edsr", "--qps", "5", "--blocks", X], limits.BLOCKS),
    (["loadtest", "edsr", "--qps", "5", "--slo-ms", X], limits.LATENCY_MS),
    (["recommend", "--model", "edsr", "--slo-ms", X, "--qps", "1"], limits.LATENCY_MS),
    (["recommend", "--model", "edsr", "--slo-ms", "50", "--qps", X], limits.QPS),
    (["recommend", "--model", "edsr", "--slo-ms", "50", "--monthly-requests", X], limits.MONTHLY_REQUESTS),
    (["recommend", "--model", "edsr", "--slo-ms", "50", "--qps", "1", "--top", X], limits.TOP),
    (["report", "{R}", "--qps", X], limits.QPS),
    (["report", "{R}", "--slo-ms", X], limits.LATENCY_MS),
    (["bench", "edsr", "--batch", X], limits.BATCH),
    (["bench", "edsr", "--timeout", X], limits.TIMEOUT_S),
    (["bench", "edsr", "--max-time", X], limits.TIME_S),
    (["bench", "edsr", "--resolution", X], limits.SIDE),
    (["profile", "edsr", "--batch", X], limits.BATCH),
    (["predict", "edsr", "--accelerator", "L4", "--batch", X], limits.BATCH),
    (["study", "--timeout", X, "--write-plan", "{R}/plan.yaml"], limits.TIMEOUT_S),
]


@pytest.mark.parametrize(("template", "bound"), NUMERIC, ids=[" ".join(t[:1] + t[-2:-1]) for t, _ in NUMERIC])
@HOSTILE
@given(data=st.data())
def test_numbers_outside_their_range_are_refused(template, bound, data, results):
    value = data.draw(outside(bound))
    assume(value.strip() or "--resolution" not in template)  # an empty list of resolutions: the model's own
    assert_refused([part.replace(X, value).replace("{R}", results) for part in template])


def _refused_by(parse, text: str) -> bool:
    try:
        parse(text)
    except InfercostError:
        return True
    return False


DURATIONS = [["loadtest", "edsr", "--qps", "5", "--duration", X], ["loadtest", "edsr", "--qps", "5", "--warmup", X],
             ["study", "--time-budget", X, "--write-plan", "{R}/plan.yaml"],
             ["study", "--cluster", "127.0.0.1:1", "--deadline", X]]


@pytest.mark.parametrize("template", DURATIONS, ids=[t[-2] for t in DURATIONS])
@HOSTILE
@given(text=st.one_of(st.sampled_from(SPECIALS + ["0s", "-5s", "1e309s", "99999999h", "5x", "m", "0.0ms"]),
                      st.text(max_size=10)))
def test_durations_that_do_not_parse_are_refused(template, text, results):
    zero_ok = "--warmup" in template
    assume(_refused_by(lambda t: parse_duration(t, allow_zero=zero_ok) if t.strip() else 1 / 0, text)
           if text.strip() else not zero_ok)
    assume(text.strip())  # an empty value is no value: the option's default applies
    assert_refused([part.replace(X, text).replace("{R}", results) for part in template])


@HOSTILE
@given(text=st.one_of(st.sampled_from(SPECIALS + ["0", "-1GiB", "4 parsecs", "1e300TiB", "2PiB"]),
                      st.text(max_size=10)))
def test_memory_sizes_that_do_not_parse_are_refused(text):
    assume(_refused_by(parse_size, text))
    assert_refused(["bench", "edsr", "--memory-limit", text])


NAMES = [["bench", X], ["bench", "edsr", "--backend", X], ["bench", "edsr", "--device", X],
         ["bench", "edsr", "--precision", X], ["profile", X], ["predict", "edsr", "--accelerator", X],
         ["predict", "edsr", "--instance", X], ["cost", "--instance", X, "--latency-ms", "10"],
         ["catalog", "show", X], ["recommend", "--model", X, "--slo-ms", "50", "--qps", "1"],
         ["simulate", "--results", "{R}", "--model", X, "--qps", "5", "--slo-ms", "50"],
         ["simulate", "--results", "{R}", "--model", "edsr", "--stack", X, "--qps", "5", "--slo-ms", "50"],
         ["bench", "edsr", "--tolerance", X], ["bench", "edsr", "--dim", X]]
def _known() -> set[str]:
    """Every real name (a drawn name that happens to be one, such as M60, is not an unknown name)."""
    from infercost.backends import BACKENDS
    from infercost.models import ZOO
    from infercost.pricing import load_catalog

    catalog = load_catalog()
    return ({"cpu", "fp32", "fp16", "bf16", "int8", "auto", *ZOO, *BACKENDS, *catalog.instances,
             *catalog.accelerators})


KNOWN = _known()


@pytest.mark.parametrize("template", NAMES, ids=[" ".join(t[:2]) + " " + t[t.index(X) - 1] for t in NAMES])
@HOSTILE
@given(name=st.text(min_size=1, max_size=16))
def test_unknown_names_are_refused(template, name, results):
    assume(name.strip() and name.strip() not in KNOWN and ":" not in name and "=" not in name)
    assume(not name.strip().startswith("-") and not name.endswith((".onnx", ".pt2")))
    assert_refused([part.replace(X, name).replace("{R}", results) for part in template])


def _file_commands(path: str, directory: str) -> list[list[str]]:
    return [["bench", path + ".onnx"], ["profile", path + ".onnx"], ["bench", path + ".pt2"],
            ["cost", "--catalog", path + ".yaml", "--latency-ms", "10", "--price-per-hour", "1"],
            ["cost", "--catalog", path + ".csv", "--latency-ms", "10", "--price-per-hour", "1"],
            ["catalog", "list", "--catalog", path + ".csv"],
            ["study", "--plan", path + ".yaml", "--write-plan", path + ".out.yaml"],
            ["report", directory], ["export", directory, "-o", path + ".csv.out"], ["cost", "--results", directory],
            ["merge", directory, "-o", directory + "-merged"],
            ["simulate", "--results", directory, "--model", "edsr", "--qps", "5", "--slo-ms", "50"],
            ["recommend", "--model", "edsr", "--slo-ms", "50", "--qps", "1", "--traffic", path + ".csv"],
            ["predict", "resnet50", "--accelerator", "T4", "--published", path + ".csv"]]


@HOSTILE
@given(data=st.binary(min_size=1, max_size=600), which=st.integers(min_value=0, max_value=13))
def test_files_of_random_bytes_are_refused(data, which, tmp_path_factory):
    base = tmp_path_factory.mktemp("garbage")
    path, directory = str(base / "input"), base / "results"
    directory.mkdir()
    (directory / "results.jsonl").write_bytes(data + b"\n")
    for suffix in (".onnx", ".pt2", ".yaml", ".csv"):
        (base / f"input{suffix}").write_bytes(data)
    args = _file_commands(path, str(directory))[which]
    assume(not _accepted(args, base, directory))
    assert_refused(args)


def _accepted(args: list[str], base, directory) -> bool:
    """Whether these bytes happen to be a valid file for this command (then there is nothing to refuse)."""
    from infercost.predict.corpus import load_rows
    from infercost.pricing import load_catalog
    from infercost.results import load_records
    from infercost.serving import read_trace
    from infercost.study.plan import Plan

    csv_loader = {"recommend": read_trace, "predict": load_rows}.get(args[0], load_catalog)
    loaders = {".yaml": lambda: Plan.from_yaml(base / "input.yaml") if args[0] == "study"
               else load_catalog(base / "input.yaml"), ".csv": lambda: csv_loader(base / "input.csv")}
    suffix = next((s for s in loaders if any(a.endswith(s) for a in args)), None)
    try:
        if args[0] in ("report", "simulate"):
            return bool(load_records(directory))  # no records at all is refused too
        if args[0] in ("export", "merge") or args[:2] == ["cost", "--results"]:
            load_records(directory)  # an empty file is an empty result, fine to export, merge or price
            return True
        if suffix:
            loaders[suffix]()
            return True
    except InfercostError:
        return False
    return False  # ONNX and ExportedProgram files: random bytes are never a model


@pytest.mark.parametrize("args", [
    ["cost", "--latency-ms", "nan", "--price-per-hour", "1"], ["cost", "--latency-ms", "inf", "--price-per-hour", "1"],
    ["loadtest", "edsr", "--qps", "nan"], ["loadtest", "edsr", "--qps", "1e12", "--duration", "2s"],
    ["loadtest", "edsr", "--qps", "1e6", "--duration", "100s"],
    ["recommend", "--model", "edsr", "--slo-ms", "100", "--qps", "inf"],
    ["simulate", "--results", "{R}", "--model", "edsr", "--qps", "inf", "--slo-ms", "50"],
    ["loadtest", "edsr", "--qps", "5", "--backend", "mxnet"], ["bench", ","], ["bench", "edsr", "--backend", ""],
])
def test_the_inputs_seen_failing_are_refused(args, results):
    assert_refused([a.replace("{R}", results) for a in args])


@pytest.mark.slow
def test_a_garbage_onnx_file_is_one_line_in_a_real_process(tmp_path):
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(bytes(range(256)) * 8)
    proc = subprocess.run([sys.executable, "-m", "infercost", "bench", str(garbage)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and str(garbage) in proc.stderr


def test_bounds_state_their_range():
    with pytest.raises(InfercostError, match=r"qps must be a number in \[1e-06, 1e\+07\] requests/s, got nan"):
        limits.QPS.check("qps", math.nan)
    assert limits.BATCH.check("batch", "4") == 4
