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


@dataclass
class Outcome:
    measured: list[Record] = field(default_factory=list)
    resumed: int = 0
    skipped: list[tuple[Case, str]] = field(default_factory=list)  # over the time budget: not recorded, resumable


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


def run_plan(plan: Plan, store: ResultsStore, run: Callable[[Case], Record],
             on_start: Callable[[Case], None] = lambda case: None,
             on_done: Callable[[Record | None], None] = lambda record: None,
             time_budget_s: float | None = None, clock: Callable[[], float] = time.monotonic) -> Outcome:
    """Every ladder in order. Finished points (this machine's) are reused; skipped points are recorded as such."""
    env = fingerprint()
    here = machine_id(env)
    done = {r.case_id: r for r in store.records() if machine_id(r.env) == here}
    start = clock()
    shared = LadderRun(plan, store, run, done, Outcome(), env, on_start, on_done,
                       lambda: time_budget_s is not None and clock() - start > time_budget_s)
    for ladder in plan.ladders:
        run_ladder(ladder, shared)
    return shared.outcome


def run_ladder(ladder: Ladder, shared: LadderRun) -> None:
    """One ladder on one machine. A ladder handed over half-way (a cluster node lost) resumes where it stopped,
    since `shared.done` holds what that machine recorded."""
    plan, store, run, done, outcome = shared.plan, shared.store, shared.run, shared.done, shared.outcome
    on_start, on_done, env, run_id = shared.on_start, shared.on_done, shared.env, shared.run_id
    stop: str | None = None
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
            on_done(record)
            continue
        if shared.over_budget():
            outcome.skipped.append((case, "over the study's time budget"))
            on_done(None)
            continue
        on_start(case)
        record = run(case)
        store.append(record)
        done[case.case_id] = record
        outcome.measured.append(record)
        on_done(record)
        stop = _stop_reason(record, plan)


def run_id_of(run: Callable) -> str:
    owner = getattr(run, "__self__", None)
    return getattr(owner, "run_id", "study")
