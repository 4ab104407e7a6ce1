"""Reach a Ray cluster: connect, list its nodes, and run one case on one chosen node as a Ray task, the case itself
isolated as locally (its own process, time-out, memory cap), with a per-case deadline so a lost node never hangs.

Domain layer (cluster).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import socket
import sys
from pathlib import Path

from infercost.case import Case
from infercost.cluster.nodes import Node, NodeKind
from infercost.cluster.schedule import NodeLost
from infercost.errors import ClusterError
from infercost.results.record import Record
from infercost.textfiles import one_line

INSTALL = 'the cluster mode needs Ray: pip install "infercost[cluster]"'


def _is_loopback(address: str) -> bool:
    host = address.rpartition(":")[0] if ":" in address else address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def import_ray():
    try:
        import ray
    except ImportError:
        raise ClusterError(INSTALL) from None
    return ray


def connected() -> bool:
    """Whether this process already has a Ray connection (without importing Ray just to ask)."""
    ray = sys.modules.get("ray")
    return bool(ray and ray.is_initialized())


def _reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail in seconds, with one line, where ray.init would retry for minutes."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"--cluster {address!r} is not HOST:PORT or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise ClusterError(f"no Ray cluster answers at {address} ({exc.strerror or exc}); start one with "
                           "`ray start --head` or check the address") from None


def _token_available() -> bool:
    return bool(os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")
                or (Path.home() / ".ray" / "auth_token").is_file())


def connect(address: str):
    """ray.init against ADDRESS (or `auto`); returns the ray module. A loopback address stays on loopback."""
    if connected():
        return sys.modules["ray"]
    if importlib.util.find_spec("ray") is None:
        raise ClusterError(INSTALL)
    if address != "auto":
        _reachable(address)
    if "ray" not in sys.modules:  # both are read when Ray is imported
        if "RAY_AUTH_MODE" not in os.environ and _token_available():
            # `ray start` turns token authentication on and keeps the token in ~/.ray/auth_token, but ray.init with
            # an explicit address only sends it in token mode; a cluster without authentication ignores it.
            os.environ["RAY_AUTH_MODE"] = "token"
        if _is_loopback(address):
            # Ray rewrites 127.0.0.1 to the machine's routable address unless told the cluster is local-only; a
            # cluster started on loopback (ray start --node-ip-address 127.0.0.1) listens there and nowhere else.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray = import_ray()
    try:
        ray.init(address=address, logging_level="ERROR", log_to_driver=False, configure_logging=True)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise ClusterError(f"can't reach the Ray cluster at {address}: {str(exc).splitlines()[0]}") from None
    return ray


def cluster_nodes(ray) -> list[Node]:
    return [Node.from_ray(raw) for raw in ray.nodes()]


def _measure_task(case: dict, options: dict, probe: bool) -> str:
    """Runs inside a Ray worker on the chosen node: the same Runner as a local study, then this node's ceiling."""
    from infercost.pricing.catalog import cpu_ceiling
    from infercost.probe import device_probe, with_peak
    from infercost.runner import Runner, RunOptions

    parsed = Case.from_dict(case)
    record = Runner(RunOptions.from_dict(options)).run(parsed)
    return with_peak(record, device_probe(parsed.device, probe, cpu_ceiling)).to_json()


def _fingerprint_task() -> dict:
    from infercost.env import fingerprint

    return fingerprint()


class RayWork:
    """The `Work` a ClusterRun needs, done with Ray tasks pinned to one node each (NodeAffinity, not soft)."""

    def __init__(self, ray, options: dict, deadline_s: float, probe: bool = True) -> None:
        self.ray, self.options, self.deadline_s, self.probe = ray, options, deadline_s, probe
        self.run_id = options["run_id"]
        remote = ray.remote(num_cpus=0, max_retries=0)
        self._measure, self._fingerprint = remote(_measure_task), remote(_fingerprint_task)

    def _pinned(self, task, node: Node):
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        return task.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node.node_id, soft=False))

    def alive(self, node: Node) -> bool:
        return any(n.node_id == node.node_id and n.alive for n in cluster_nodes(self.ray))

    def _result(self, ref, node: Node, what: str):
        """The task's value; NodeLost if its node is gone; None if the deadline passed on a live node."""
        ray = self.ray
        ready, _ = ray.wait([ref], timeout=self.deadline_s)
        if not ready:
            ray.cancel(ref, force=True)
            if not self.alive(node):
                raise NodeLost(f"no result for {what} within the {self.deadline_s:g} s deadline; the node is gone")
            return None
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:  # our own code failed on the node: a real error, in our tree
            cause = exc.cause if isinstance(getattr(exc, "cause", None), BaseException) else exc
            raise ClusterError(f"{what} failed on node {node.node_id[:8]}: {type(cause).__name__}: "
                               f"{one_line(cause)}") from None
        except ray.exceptions.RayError as exc:
            if not self.alive(node) or isinstance(exc, ray.exceptions.NodeDiedError):
                raise NodeLost(str(exc).split(". ")[0][:300]) from None
            raise ClusterError(f"{what} on node {node.node_id[:8]}: {one_line(exc)}") from None

    def fingerprint(self, node: Node) -> dict:
        found = self._result(self._pinned(self._fingerprint, node).remote(), node, "the node's fingerprint")
        if found is None:
            raise NodeLost(f"the node did not answer within {self.deadline_s:g} s")
        return found

    def measure(self, node: Node, kind: NodeKind, case: Case) -> Record:
        ref = self._pinned(self._measure, node).remote(case.to_dict(), self.options, self.probe)
        env = {"node_kind": kind.name, "ray_node_id": node.node_id}
        try:
            found = self._result(ref, node, f"{case.model} b{case.batch_size}")
        except NodeLost:
            raise  # the scheduler hands the ladder to another node of the kind
        except ClusterError as exc:  # the task itself failed: a record with the reason, and the study goes on
            return Record.for_case(case, run_id=self.run_id, status="error", env=env,
                                   error=f"the Ray task failed on node {node.address}: {exc}")
        if found is None:
            return Record.for_case(case, run_id=self.run_id, status="timeout", env=env,
                                   error=f"no result within the per-case deadline of {self.deadline_s:g} s; "
                                         "the task was cancelled")
        return Record.model_validate_json(found)
