"""`infercost recommend`: a ranked list from predictions alone, and this machine listed as measured."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from infercost.case import Case
from infercost.cli import cli
from infercost.results import Record, ResultsStore

FIELDS = ("instance", "provider", "accelerator", "stack", "precision", "batch_policy", "replicas", "p99_s",
          "cost_per_inference_usd", "monthly_cost_usd", "source", "error_band", "feasible", "reason")


def invoke(*args):
    result = CliRunner().invoke(cli, ["recommend", "--model", "resnet50", "--resolution", "64", "--slo-ms", "100",
                                      "--precision", "fp32", "--providers", "gcp", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_predictions_alone_are_ranked_and_marked():
    rows = json.loads(invoke("--qps", "50", "--json"))
    assert all(set(FIELDS) <= set(r) for r in rows)
    assert all(r["source"] == "predicted" for r in rows)
    costs = [r["monthly_cost_usd"] for r in rows if r["feasible"]]
    assert costs and costs == sorted(costs)
    assert all(r["reason"] for r in rows if not r["feasible"])


def test_this_machine_is_listed_as_measured(tmp_path):
    store = ResultsStore(tmp_path)
    for batch, latency in ((1, 0.01), (2, 0.015), (4, 0.025), (8, 0.045)):
        store.append(Record.for_case(Case("resnet50", batch_size=batch, height=64, width=64), run_id="r",
                                     status="ok", env={}, timing={"method": "adaptive"}).with_samples([latency] * 5))
    rows = json.loads(invoke("--qps", "50", "--results", str(tmp_path), "--price-per-hour", "0.05", "--json"))
    measured = [r for r in rows if r["source"] == "measured"]
    assert len(measured) == 1 and measured[0]["feasible"] and measured[0]["error_band"] is None
    assert measured[0]["monthly_cost_usd"] == measured[0]["replicas"] * 0.05 * 730


def test_the_answer_ends_with_a_sentence():
    text = invoke("--qps", "20")
    assert "is cheapest" in text and ("becomes cheaper" in text or "stays the same" in text)


def test_bursty_traffic_needs_at_least_as_much():
    steady = json.loads(invoke("--qps", "200", "--json"))
    bursty = json.loads(invoke("--qps", "200", "--traffic", "bursty", "--json"))
    cost = {r["instance"]: r["monthly_cost_usd"] for r in steady if r["feasible"]}
    assert any(r["feasible"] for r in bursty)
    assert all(r["monthly_cost_usd"] >= cost[r["instance"]] for r in bursty if r["feasible"] and r["instance"] in cost)


@pytest.mark.slow
def test_every_measured_machine_is_a_candidate_priced_by_its_own_instance(tmp_path):
    """Results gathered from a cluster: each node kind is measured hardware; one names a catalog instance."""
    store = ResultsStore(tmp_path)
    kinds = {"kind_a": {"node_kind": "kind_a", "instance_type": "g2-standard-4"}, "kind_b": {"node_kind": "kind_b"}}
    for env in kinds.values():
        for batch, latency in ((1, 0.01), (2, 0.015), (4, 0.025)):
            store.append(Record.for_case(Case("resnet50", batch_size=batch, height=64, width=64), run_id="r",
                                         status="ok", env=env, timing={"method": "adaptive"})
                         .with_samples([latency] * 5))
    rows = json.loads(invoke("--qps", "50", "--results", str(tmp_path), "--json"))
    measured = {r["accelerator"].rpartition(" on ")[2]: r for r in rows if r["source"] == "measured"}
    assert set(measured) == {"kind_a", "kind_b"}
    assert measured["kind_a"]["feasible"] and measured["kind_a"]["instance"] == "g2-standard-4"
    assert not measured["kind_b"]["feasible"] and "price" in measured["kind_b"]["reason"]
