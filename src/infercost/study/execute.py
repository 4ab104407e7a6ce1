"""Run a plan: resume by case id, stop each ladder at its first out-of-memory or too-slow point, keep a budget.

Domain layer (study).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from infercost.case import Case
from infercost.env import fingerprint
from infercost.results.record import Record
from infercost.results.store import ResultsStore, machine_id
from infercost.study.plan import Ladder, Plan

# Statuses after which a ladder's larger points are not attempted.
STOPPING = {"oom": "out of memory", "timeout": "time-out"}
# How a point left out because it would not fit the time budget is recorded; a later run tries it again.
OVER_BUDGET = "would not fit the study's time budget"


@dataclass
class Outcome:
    measured: list[Record] = field(default_factory=list)
    resumed: int = 0
    skipped: list[tuple[Case, str]] = field(default_factory=list)  # left out for time: tried again by a later run

    @property
    def recorded(self) -> list[Record]:
        """The points this run measured or stopped a ladder at, without those left out for time."""
        return [r for r in self.measured if not _left_for_time(r)]


def _too_slow(record: Record, plan: Plan) -> bool:
    return bool(record.ok and record.stats and record.stats.min_s > plan.point_budget_s)


def _stop_reason(record: Record, plan: Plan) -> str | None:
    if record.status in STOPPING:
        return f"larger than the first {STOPPING[record.status]} point (batch {record.batch_size}, " \
               f"{record.size_label})"
    if _too_slow(record, plan):
        return f"one call took {record.stats.min_s:.1f} s at batch {record.batch_size}, " \
               f"{record.size_label}, over the point budget of {plan.point_budget_s:g} s"
    return None


@dataclass
class LadderRun:
    """What the ladders of one run share: the plan, where records go, how a case is measured, what one machine has
    recorded (`done`, by case id; it grows as ladders record more), the outcome, and the callbacks."""

    plan: Plan
    store: ResultsStore
    run: Callable[[Case], Record]
    done: dict[str, Record]
    outcome: Outcome
    env: dict
    on_start: Callable[[Case], None] = lambda case: None
    on_done: Callable[[Record | None], None] = lambda record: None
    over_budget: Callable[[], bool] = lambda: False
    run_id: str | None = None
    left_s: Callable[[], float | None] = lambda: None  # seconds of the time budget left (None: no budget)
    clock: Callable[[], float] = time.monotonic


def run_plan(plan: Plan, store: ResultsStore, run: Callable[[Case], Record],
             *, on_start: Callable[[Case], None] = lambda case: None,
             on_done: Callable[[Record | None], None] = lambda record: None,
             time_budget_s: float | None = None, clock: Callable[[], float] = time.monotonic) -> Outcome:
    """Every ladder in order. Finished points (this machine's) are reused; skipped points are recorded as such."""
    env = fingerprint()
    here = machine_id(env)
    done = {r.case_id: r for r in store.records() if machine_id(r.env) == here and not _left_for_time(r)}
    start = clock()
    shared = LadderRun(plan, store, run, done, Outcome(), env, on_start, on_done,
                       lambda: time_budget_s is not None and clock() - start > time_budget_s,
                       left_s=lambda: None if time_budget_s is None else time_budget_s - (clock() - start),
                       clock=clock)
    for ladder in plan.ladders:
        run_ladder(ladder, shared)
    return shared.outcome


def run_ladder(ladder: Ladder, shared: LadderRun) -> None:
    """One ladder on one machine. A ladder handed over half-way (a cluster node lost) resumes where it stopped,
    since `shared.done` holds what that machine recorded."""
    plan, store, run, done, outcome = shared.plan, shared.store, shared.run, shared.done, shared.outcome
    on_start, on_done, env, run_id = shared.on_start, shared.on_done, shared.env, shared.run_id
    stop: str | None = None
    timed: list[tuple[Record, float]] = []  # this ladder's points measured in this run, with their wall time
    for case in ladder.cases():
        if case.case_id in done:
            outcome.resumed += 1
            stop = stop or _stop_reason(done[case.case_id], plan)
            on_done(None)
            continue
        if stop:
            record = Record.for_case(case, run_id=run_id or run_id_of(run), status="skipped", error=stop, env=env)
            store.append(record)
            done[case.case_id] = record
            outcome.measured.append(record)
            if _left_for_time(record):
                outcome.skipped.append((case, stop))
            on_done(record)
            continue
        if shared.over_budget():
            outcome.skipped.append((case, "over the study's time budget"))
            on_done(None)
            continue
        late = _would_not_fit(case, timed, plan, shared.left_s())
        if late:
            record = Record.for_case(case, run_id=run_id or run_id_of(run), status="skipped", error=late, env=env)
            store.append(record)
            outcome.measured.append(record)
            outcome.skipped.append((case, late))
            on_done(record)
            stop = f"{OVER_BUDGET}: larger than b{case.batch_size} {case.size_label}, left out for time before it"
            continue
        on_start(case)
        began = shared.clock()
        record = run(case)
        timed.append((record, shared.clock() - began))
        store.append(record)
        done[case.case_id] = record
        outcome.measured.append(record)
        on_done(record)
        stop = _stop_reason(record, plan)


def _left_for_time(record: Record) -> bool:
    """A point an earlier run left out for time: tried again."""
    return record.status == "skipped" and (record.error or "").startswith(OVER_BUDGET)


def _work(case: Case) -> float:
    """What a point computes, up to a constant: batch x pixels, or batch x tokens."""
    dims = dict(case.options).get("dims") or ""
    seq = next((int(v) for k, _, v in (d.partition("=") for d in str(dims).split(",")) if k == "seq" and v), 1)
    return case.batch_size * (case.height or 1) * (case.width or 1) * seq


def predicted_wall_s(case: Case, timed: list[tuple[Record, float]], plan: Plan) -> float | None:
    """Seconds the next point of a ladder would take, from the last point measured before it: its latency grown
    in proportion to the work, timed as the plan times a point (ten calls at least, between its minimum and
    maximum time, and a cold call and warm-ups beside), plus the last point's own overhead (a process, a load,
    an export). None before a ladder's first point."""
    ok = [(r, wall) for r, wall in timed if r.ok and r.latency_s]
    if not ok:
        return None
    last, wall = ok[-1]

    def timed_s(latency: float) -> float:
        return min(plan.max_time_s, max(plan.min_time_s, 10 * latency)) + 3 * latency

    latency = last.latency_s * max(1.0, _work(case) / max(_work(last.case), 1.0))
    return max(0.0, wall - timed_s(last.latency_s)) + timed_s(latency)


def _would_not_fit(case: Case, timed: list[tuple[Record, float]], plan: Plan, left_s: float | None) -> str | None:
    """Why the next point is left out for time (its predicted seconds over what the budget has left), or None."""
    if left_s is None:
        return None
    needed = predicted_wall_s(case, timed, plan)
    if needed is None or needed <= left_s:
        return None
    return f"{OVER_BUDGET}: about {needed:.0f} s predicted from the ladder so far, {max(left_s, 0):.0f} s left"


def run_id_of(run: Callable) -> str:
    owner = getattr(run, "__self__", None)
    return getattr(owner, "run_id", "study")
