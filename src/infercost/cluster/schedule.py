"""Walk a plan on every node kind at once: one thread per node, ladders handed out per kind, a lost node's ladder
handed to another node of its kind (its case retried once there), and whatever no node is left to run recorded.

Domain layer (cluster).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

from infercost.case import Case
from infercost.cluster.nodes import Node, NodeKind
from infercost.errors import ClusterError
from infercost.results.record import Record
from infercost.results.store import ResultsStore
from infercost.study.execute import LadderRun, Outcome, run_ladder
from infercost.study.plan import Plan

MAX_LOSSES = 2  # a case whose node was lost this many times is recorded as an error instead of tried again


class NodeLost(ClusterError):
    """The node running a case died or left the cluster (raised by a `measure` callable)."""


@dataclass
class Work:
    """How to reach the nodes: measure a case on a node, and read a node's fingerprint (both may raise NodeLost)."""

    measure: Callable[[Node, NodeKind, Case], Record]
    fingerprint: Callable[[Node], dict]
    run_id: str = "cluster"


class _LockedStore:
    """Appends from several node threads, one at a time."""

    def __init__(self, store: ResultsStore, lock: threading.RLock) -> None:
        self.store, self.lock = store, lock

    def append(self, record: Record) -> None:
        with self.lock:
            self.store.append(record)


def _reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, NodeLost) else f"{type(exc).__name__}: {str(exc)[:300]}"


def node_env(fingerprint: dict, kind: NodeKind, node: Node) -> dict:
    return {**fingerprint, "node_kind": kind.name, "ray_node_id": node.node_id, "node_address": node.address}


class ClusterRun:
    """One study across node kinds. `run()` returns when every ladder of every kind is recorded or unrunnable."""

    def __init__(self, plan: Plan, store: ResultsStore, kinds: list[NodeKind], nodes: list[Node], work: Work,
                 on_start: Callable[[Case], None] = lambda case: None,
                 on_done: Callable[[Record | None], None] = lambda record: None,
                 time_budget_s: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.plan, self.kinds, self.work = plan, kinds, work
        self.nodes = [n for n in nodes if n.alive and any(k.matches(n) for k in kinds)]
        self.cond = threading.Condition(threading.RLock())
        self.store = _LockedStore(store, self.cond)
        self.queues = {k.name: deque(plan.ladders) for k in kinds}
        self.busy: Counter = Counter()
        self.losses: Counter = Counter()
        self.lost: dict[str, str] = {}
        self.envs: dict[str, dict] = {}
        existing = store.records()
        self.done = {k.name: {r.case_id: r for r in existing if r.env.get("node_kind") == k.name} for k in kinds}
        self.outcome = Outcome()
        self._on_start, self._on_done = on_start, on_done
        self._clock, self._start, self._budget = clock, clock(), time_budget_s

    def run(self) -> Outcome:
        threads = [threading.Thread(target=self._node_loop, args=(node,), daemon=True) for node in self.nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self._record_unrunnable()
        return self.outcome

    def _over_budget(self) -> bool:
        return self._budget is not None and self._clock() - self._start > self._budget

    def _on_start_locked(self, case: Case) -> None:
        with self.cond:
            self._on_start(case)

    def _on_done_locked(self, record: Record | None) -> None:
        with self.cond:
            self._on_done(record)

    def _node_loop(self, node: Node) -> None:
        mine = [k for k in self.kinds if k.matches(node)]
        try:
            fingerprint = self.work.fingerprint(node)
        except Exception as exc:  # noqa: BLE001 - a node that can't even say what it is takes no work
            return self._lose(node, mine, None, _reason(exc))
        while (taken := self._take(mine)) is not None:
            kind, ladder = taken
            env = node_env(fingerprint, kind, node)
            with self.cond:
                self.envs.setdefault(kind.name, env)
            try:
                run_ladder(ladder, LadderRun(self.plan, self.store, self._runner(node, kind, env),
                                             self.done[kind.name], self.outcome, env, self._on_start_locked,
                                             self._on_done_locked, self._over_budget, self.work.run_id))
            except Exception as exc:  # noqa: BLE001 - never leave a ladder half-taken: other nodes wait on it
                return self._lose(node, mine, (kind, ladder), _reason(exc))
            with self.cond:
                self.busy[kind.name] -= 1
                self.cond.notify_all()

    def _take(self, kinds: list[NodeKind]):
        """The next ladder of one of these kinds; waits while another node of the kind may hand one back."""
        with self.cond:
            while True:
                for kind in kinds:
                    if self.queues[kind.name]:
                        self.busy[kind.name] += 1
                        return kind, self.queues[kind.name].popleft()
                if not any(self.busy[k.name] for k in kinds):
                    return None
                self.cond.wait()

    def _runner(self, node: Node, kind: NodeKind, env: dict) -> Callable[[Case], Record]:
        def run(case: Case) -> Record:
            key = (kind.name, case.case_id)
            if self.losses[key] >= MAX_LOSSES:
                return Record.for_case(case, run_id=self.work.run_id, status="error", env=env,
                                       error=f"lost its node {MAX_LOSSES} times: {self.lost.get(kind.name)}")
            try:
                record = self.work.measure(node, kind, case)
            except NodeLost as exc:
                with self.cond:
                    self.losses[key] += 1
                raise NodeLost(f"{exc} (during {case.model} b{case.batch_size} {case.size_label})") \
                    from None
            env_update = {**record.env, **{k: env[k] for k in ("node_kind", "ray_node_id", "node_address")}}
            return record.model_copy(update={"env": env_update})

        return run

    def _lose(self, node: Node, kinds: list[NodeKind], taken, reason: str) -> None:
        """This node is gone: hand its ladder back to its kind so that another node (if any) takes it up."""
        with self.cond:
            for kind in kinds:
                self.lost[kind.name] = f"node {node.node_id[:12]} at {node.address} lost: {reason}"
            if taken:
                kind, ladder = taken
                self.queues[kind.name].appendleft(ladder)
                self.busy[kind.name] -= 1
            self.nodes = [n for n in self.nodes if n != node]
            self.cond.notify_all()

    def _record_unrunnable(self) -> None:
        """Ladders left over when no node of their kind is left: every case not yet recorded becomes an error."""
        for kind in self.kinds:
            reason = self.lost.get(kind.name, "no live node of this kind")
            env = self.envs.get(kind.name, {"node_kind": kind.name})
            while self.queues[kind.name]:
                for case in self.queues[kind.name].popleft().cases():
                    if case.case_id in self.done[kind.name]:
                        continue
                    record = Record.for_case(case, run_id=self.work.run_id, status="error", env=env,
                                             error=f"not measured on kind {kind.name}: {reason}")
                    self.store.append(record)
                    self.done[kind.name][case.case_id] = record
                    self.outcome.measured.append(record)
                    self._on_done(record)
