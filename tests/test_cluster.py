"""The cluster study: node kinds, scheduling across nodes with a fake Ray, and a real two-node Ray cluster."""

from __future__ import annotations

import threading

import pytest

from infercost.case import Case
from infercost.cluster import ClusterRun, Node, NodeKind, NodeLost, Work, default_kinds, parse_targets
from infercost.errors import UsageError
from infercost.results import Record, ResultsStore
from infercost.study.plan import Ladder, Plan


def node(node_id: str, alive: bool = True, **resources) -> Node:
    labels = resources.pop("labels", {})
    return Node(node_id, f"10.0.0.{len(node_id)}", alive, {"CPU": 4.0, **resources}, labels)


NODES = [node("a1", kind_a=1), node("a2", kind_a=1), node("g1", GPU=1, **{"accelerator_type:T4": 1}),
         node("dead", alive=False, kind_z=1), node("l1", labels={"zone": "x"})]


def test_default_kinds_are_accelerator_types_and_cpu():
    assert [(k.name, k.selector) for k in default_kinds(NODES)] == [("T4", "accelerator"), ("cpu", "cpu")]


def test_targets_by_accelerator_resource_and_label():
    kinds = parse_targets("T4,kind_a,zone=x,resource:kind_a", NODES)
    assert [(k.name, k.selector) for k in kinds] == [("T4", "accelerator"), ("kind_a", "resource"),
                                                     ("zone=x", "label"), ("kind_a", "resource")]
    assert [n.node_id for n in NODES if kinds[1].matches(n)] == ["a1", "a2"]
    assert [n.node_id for n in NODES if kinds[2].matches(n)] == ["l1"]


@pytest.mark.parametrize("target", ["kind_z", "A100", "zone=y"])
def test_targets_without_a_live_node_are_refused_with_what_there_is(target):
    with pytest.raises(UsageError, match="no live node.*accelerators: T4; resources: kind_a; labels: zone=x"):
        parse_targets(target, NODES)


class FakeWork(Work):
    """Measures instantly; a node in `dies_at` raises NodeLost on that case (and every later one)."""

    def __init__(self, dies_at: dict[str, int] | None = None) -> None:
        self.dies_at, self.calls, self.lock = dies_at or {}, [], threading.Lock()
        super().__init__(self._measure, lambda n: {"host": n.node_id, "cpu_model": "fake"}, "fake-run")

    def _measure(self, where: Node, kind: NodeKind, case: Case) -> Record:
        with self.lock:
            self.calls.append((where.node_id, case.batch_size))
            if where.node_id in self.dies_at and len([c for c in self.calls if c[0] == where.node_id]) \
                    > self.dies_at[where.node_id]:
                raise NodeLost("raylet gone")
        return Record.for_case(case, run_id="fake-run", status="ok", env={"host": where.node_id},
                               timing={"method": "adaptive"}).with_samples([0.01 * case.batch_size] * 3)


def plan() -> Plan:
    return Plan(ladders=[Ladder(model="edsr", batches=[1, 2, 4], resolutions=[16]),
                         Ladder(model="resnet50", batches=[1, 2], resolutions=[32])])


def by_kind(store: ResultsStore) -> dict[str, list[Record]]:
    found: dict[str, list[Record]] = {}
    for r in store.records():
        found.setdefault(r.env["node_kind"], []).append(r)
    return found


def test_every_kind_runs_the_whole_plan_on_its_own_nodes(tmp_path):
    store, work = ResultsStore(tmp_path), FakeWork()
    kinds = parse_targets("kind_a,T4", NODES)
    outcome = ClusterRun(plan(), store, kinds, NODES, work).run()
    recorded = by_kind(store)
    assert len(outcome.measured) == 10 and {k: len(v) for k, v in recorded.items()} == {"kind_a": 5, "T4": 5}
    assert {r.env["ray_node_id"] for r in recorded["T4"]} == {"g1"}
    assert {r.env["ray_node_id"] for r in recorded["kind_a"]} <= {"a1", "a2"}
    assert all(r.env["host"] == r.env["ray_node_id"] and r.ok for r in store.records())
    again = ClusterRun(plan(), store, kinds, NODES, FakeWork()).run()
    assert again.measured == [] and again.resumed == 10


def test_a_lost_node_hands_its_ladder_to_another_node_of_its_kind(tmp_path):
    store, work = ResultsStore(tmp_path), FakeWork(dies_at={"a1": 1, "a2": 1})
    outcome = ClusterRun(plan(), store, parse_targets("kind_a", NODES), NODES, work).run()
    records = {(r.model, r.batch_size): r for r in store.records()}
    assert len(records) == len(store.records()) == 5 == len(outcome.measured)
    failed = [r for r in records.values() if not r.ok]
    assert failed and all(r.status == "error" and "raylet gone" in r.error for r in failed)
    assert sum(r.ok for r in records.values()) == 2  # each node measured one case before it died


def test_a_kind_with_one_lost_node_records_its_missing_cases_with_the_reason(tmp_path):
    store = ResultsStore(tmp_path)
    ClusterRun(plan(), store, parse_targets("T4", NODES), NODES, FakeWork(dies_at={"g1": 2})).run()
    records = store.records()
    assert [r.status for r in records] == ["ok", "ok", "error", "error", "error"]
    assert all("not measured on kind T4: node g1" in r.error and "raylet gone" in r.error for r in records[2:])


def test_cluster_flags_fail_in_one_line(monkeypatch):
    from click.testing import CliRunner

    from infercost.cli import cli

    def study(*args):
        return CliRunner().invoke(cli, ["study", "--no-probe", *args])

    result = study("--targets", "T4")
    assert result.exit_code == 2 and "go with --cluster" in result.output
    result = study("--cluster", "127.0.0.1:1")
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "no Ray cluster answers at 127.0.0.1:1" in result.output or "pip install" in result.output
    monkeypatch.setitem(__import__("sys").modules, "ray", None)
    result = study("--cluster", "auto")
    assert result.exit_code == 2 and 'pip install "infercost[cluster]"' in result.output


def test_an_unexpected_failure_on_a_node_never_hangs_the_study(tmp_path):
    """A bug in measuring (not a lost node) must not leave other nodes waiting for a ladder forever."""
    work = FakeWork()

    def broken(where, kind, case):
        raise ValueError("unreadable record")

    work.measure = broken
    store = ResultsStore(tmp_path)
    ClusterRun(plan(), store, parse_targets("kind_a", NODES), NODES, work).run()
    records = store.records()
    assert len(records) == 5 and all(r.status == "error" and "ValueError: unreadable record" in r.error
                                     for r in records)
