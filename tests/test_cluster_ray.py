"""A real Ray cluster of two (then three) nodes on loopback, each with its own custom resource: the study runs
every case on the node it asked for, gathers both nodes' records, and a node killed mid-study leaves errors, not a
hang. Ray's ports and the nodes bind to 127.0.0.1; the dashboard is off."""

from __future__ import annotations

import ipaddress
import json
import os
import threading
import time

import pytest
from click.testing import CliRunner

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # keep 127.0.0.1 as given (see ray_bridge.connect)
pytestmark = pytest.mark.slow  # local Ray clusters: seconds each
ray = pytest.importorskip("ray", reason="the cluster extra (ray) is not installed")
cluster_utils = pytest.importorskip("ray.cluster_utils")

from infercost.cli import cli  # noqa: E402
from infercost.cluster import ClusterRun, parse_targets  # noqa: E402
from infercost.cluster.ray_bridge import RayWork, cluster_nodes, connect  # noqa: E402
from infercost.results import ResultsStore  # noqa: E402
from infercost.study.plan import Ladder, Plan  # noqa: E402

FAST_HEALTH = {"health_check_initial_delay_ms": 0, "health_check_period_ms": 500, "health_check_failure_threshold": 3}
LOOPBACK = {"node_ip_address": "127.0.0.1", "num_cpus": 1, "object_store_memory": 80 * 2**20}


@pytest.fixture(scope="module")
def cluster():
    made = cluster_utils.Cluster(initialize_head=True, head_node_args={
        **LOOPBACK, "resources": {"kind_a": 1}, "include_dashboard": False, "_system_config": FAST_HEALTH})
    second = made.add_node(**LOOPBACK, resources={"kind_b": 1})
    made.wait_for_nodes()
    yield made, {"kind_a": made.head_node.node_id, "kind_b": second.node_id}
    ray.shutdown()
    made.shutdown()


def tiny_plan(batches=(1, 2)) -> Plan:
    return Plan(min_time_s=0.0, max_time_s=0.1, ladders=[Ladder(model="edsr", batches=list(batches),
                                                                resolutions=[16])])


def test_two_node_study_runs_each_case_on_the_node_it_asked_for(cluster, tmp_path, monkeypatch):
    made, node_of = cluster
    monkeypatch.setenv("INFERCOST_CACHE", str(tmp_path / "cache"))
    (tmp_path / "plan.yaml").write_text(tiny_plan().to_yaml())
    args = ["study", "--cluster", made.address, "--targets", "kind_a,kind_b", "--plan", str(tmp_path / "plan.yaml"),
            "--out", str(tmp_path / "s"), "--no-probe", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["measured"] == 4
    records = ResultsStore(tmp_path / "s").records()
    assert sorted((r.env["node_kind"], r.batch_size) for r in records) == [
        ("kind_a", 1), ("kind_a", 2), ("kind_b", 1), ("kind_b", 2)]
    assert all(r.ok and r.env["ray_node_id"] == node_of[r.env["node_kind"]] for r in records), \
        [(r.status, r.error) for r in records]
    assert all(r.env.get("cpu_model") and r.env["node_address"] == "127.0.0.1" for r in records)
    listening = _listening()
    assert listening and all(_loopback(s.laddr[0]) for s in listening), "a Ray port listens beyond loopback"
    again = json.loads(CliRunner().invoke(cli, args).output)
    assert again["measured"] == 0 and again["resumed"] == 4


def test_a_node_killed_mid_study_leaves_its_cases_recorded_with_the_reason(cluster, tmp_path):
    made, _ = cluster
    doomed = made.add_node(**LOOPBACK, resources={"kind_c": 1})
    made.wait_for_nodes()
    connect(made.address)
    nodes = cluster_nodes(ray)
    options = {"timer": {"min_time_s": 0.0, "max_time_s": 0.1}, "timeout_s": 60.0, "memory_limit_bytes": None,
               "run_id": "killed"}
    killed = threading.Event()

    def kill_soon(case):
        if not killed.is_set():
            killed.set()
            threading.Timer(1.0, made.remove_node, args=(doomed,)).start()

    started = time.monotonic()
    store = ResultsStore(tmp_path)
    ClusterRun(tiny_plan((1, 2, 4)), store, parse_targets("kind_c", nodes), nodes,
               RayWork(ray, options, deadline_s=60.0, probe=False), on_start=kill_soon).run()
    assert time.monotonic() - started < 50
    records = store.records()
    assert [r.batch_size for r in records] == [1, 2, 4]
    assert all(r.status == "error" and "not measured on kind kind_c" in r.error and "lost" in r.error
               for r in records), [(r.status, r.error) for r in records]


def _loopback(host: str) -> bool:
    address = ipaddress.ip_address(host)
    return address.is_loopback or bool(getattr(address, "ipv4_mapped", None) and address.ipv4_mapped.is_loopback)


def _listening():
    psutil = pytest.importorskip("psutil")
    mine = {p.pid for p in psutil.Process().children(recursive=True)} | {os.getpid()}
    return [c for c in psutil.net_connections("tcp") if c.status == "LISTEN" and c.pid in mine]
