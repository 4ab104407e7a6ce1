"""`infercost recommend`: every catalog instance as a candidate, measured where results exist, predicted elsewhere;
the cheapest way to serve a request stream under a latency target, and what would change the answer.

Command layer: a thin entry point that Python callers use as the CLI does.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

from infercost.commands.predict import calibration, generation_step_cost
from infercost.commands.result_types import Candidate
from infercost.errors import UsageError
from infercost.predict.corpus_roofline import chips_from
from infercost.predict.profile import profile_model
from infercost.predict.published import predict_published
from infercost.predict.roofline import DEFAULT_ERROR, DeviceSpec, predict
from infercost.pricing.catalog import Accelerator, Catalog, Instance
from infercost.pricing.cost import cost_per_million_tokens, cost_per_request, instances_for, monthly_cost
from infercost.results import Record, load_records, machine_id
from infercost.serving import LatencyCurve, Policy, curve_from_records
from infercost.serving.answer import band_text
from infercost.serving.capacity import replicas_for
from infercost.serving.curve import served_size, size_seq
from infercost.serving.target import ServingTarget

BATCHES = (1, 2, 4, 8)
REQUESTS = 4_000  # per simulated run while sizing: enough for a p99, fast enough for a whole catalog


@dataclass(frozen=True)
class Workload:
    """What is served: a model at a resolution, or a token model at a sequence length (None: the model's own), in
    the precisions worth trying. `cpu_stack` is the (backend, precision) that measured fastest on a CPU here: CPU
    instances are predicted with it where their CPU supports the precision."""

    model: str
    height: int | None = None
    width: int | None = None
    precisions: tuple[str, ...] = ("fp32",)
    cpu_stack: tuple[str, str] | None = None
    seq: int | None = None

    @classmethod
    def served(cls, records: list[Record], model: str, precisions: tuple[str, ...]) -> Workload:
        """The model at the size it is served at (serving.curve.served_size: its most measured size)."""
        size = served_size(records, model)
        return cls(model, size[0], size[1], precisions, seq=size_seq(size))

    @property
    def size_label(self) -> str:
        """'seq 128', '224x224', or '' for the model's own size."""
        if self.seq is not None:
            return f"seq {self.seq}"
        return f"{self.width}x{self.height}" if self.height else ""


def cpu_choice(work: Workload, cpu: Accelerator | None) -> tuple[str | None, tuple[str, ...], str | None]:
    """The backend and precisions a CPU instance is predicted with, and why where it differs from what won here:
    the winning stack's precision where the CPU has its instructions (a bf16 or int8 rate in the catalog), int8 too
    where it has VNNI-class int8, else that backend at fp32."""
    if work.cpu_stack is None:
        return None, work.precisions, None
    backend, precision = work.cpu_stack
    if cpu is None or precision == "fp32":
        return backend, (precision,), None
    usable = tuple(p for p in dict.fromkeys((precision, "int8")) if cpu.peak_flops(p))
    if precision in usable:
        return backend, usable, None
    if usable:
        return backend, usable, f"{backend} {precision} won here; {cpu.name} has no {precision} rate: int8 instead"
    return backend, ("fp32",), f"{backend} {precision} won here; {cpu.name} has no {precision} or int8 rate: fp32"


@dataclass(frozen=True)
class Candidates:
    """Which catalog instances compete: providers (None: all), retired ones too, spot prices."""

    providers: tuple[str, ...] | None = None
    include_retired: bool = False
    spot: bool = False

    def instances(self, catalog: Catalog) -> list[Instance]:
        """The catalog's instances that compete: of these providers, current unless retired ones are asked for,
        with a spot price when spot prices are."""
        return [i for i in catalog.listing() if (not self.providers or i.provider in self.providers)
                and (i.status != "retired" or self.include_retired)
                and (not self.spot or i.spot_price_per_hour_usd is not None)]


def _policies(slo_s: float) -> list[Policy]:
    return [Policy.none(), Policy(8, slo_s / 10)]


def _cheapest_deployment(curve: LatencyCurve, target: ServingTarget, per_instance: int, price: float) -> dict | None:
    """The cheapest policy for this curve: replicas, whole instances, p99 and the bill; None if none meets it."""
    best = None
    for policy in _policies(target.slo_s):
        found = replicas_for(curve, policy, target.qps, slo_s=target.slo_s, percentile=target.percentile,
                             requests=REQUESTS,
                             traffic=target.traffic)
        if not found:
            continue
        replicas, result = found
        instances = instances_for(replicas, per_instance)
        monthly = monthly_cost(price, instances)
        row = {"batch_policy": policy.name, "replicas": instances, "p99_s": result.p99_s, "monthly_cost_usd": monthly,
               "cost_per_inference_usd": cost_per_request(monthly, target.qps)}
        if best is None or monthly < best["monthly_cost_usd"]:
            best = row
    return best


def _predicted(instance: Instance, catalog: Catalog, work: Workload, target: ServingTarget, spot: bool,
               results: str | None, chips: dict, measured_kinds: frozenset = frozenset()) -> dict:
    row = {"instance": instance.name, "provider": instance.provider,
           "accelerator": instance.accelerator or f"CPU: {instance.cpu}", "source": "predicted", "feasible": False,
           "price_per_hour_usd": instance.price(spot)}
    found = DeviceSpec.from_instance(catalog, instance)
    if found is None:
        return {**row, "reason": "no accelerator or CPU figures in the catalog"}
    device, count = found
    # Calibrated on the results where they measured this kind of device (and stack), else on the published corpus.
    own = bool(results) and device.kind in measured_kinds
    chip = chips.get(device.name)
    cores = catalog.cpu_cores(instance)
    backend, precisions, stack_note = None, work.precisions, None
    if device.kind == "cpu":
        backend, precisions, stack_note = cpu_choice(work, catalog.accelerators.get(instance.cpu or ""))
    row["stack_note"] = stack_note
    reasons, options = [], []
    for precision in precisions:
        eff, band, _ = calibration(results, catalog, device.kind, precision=precision,
                                     stack=backend) if own else (None, None, [])
        predictions = [predict(profile_model(work.model, b, work.height, width=work.width, precision=precision,
                                             seq=work.seq), device,
                               eff, replicas=1, error=band or DEFAULT_ERROR) for b in BATCHES]
        if not predictions[0].supported:
            reasons.append(f"{precision}: {predictions[0].note}")
            continue
        fitting = [(b, p) for b, p in zip(BATCHES, predictions, strict=True) if p.fits_in_memory is not False]
        if not fitting:
            reasons.append(f"{precision}: out of memory even at batch 1")
            continue
        stack = f"{backend} (calibrated here)" if eff and backend else f"roofline ({predictions[0].efficiency})"
        latencies = [p.latency_s for _, p in fitting]
        if chip is not None:
            shape = profile_model(work.model, 1, work.height, width=work.width, precision=precision, seq=work.seq)
            size = (shape.height, shape.width)
        if eff is None and chip is not None:  # the published calibration, with the stack the device would run
            published = [predict_published(work.model, chip, precision, batch=b, size=size, backend=backend,
                                                           cores=cores, seq=work.seq)
                         for b, _ in fitting]
            latencies = [found.seconds for found in published]
            stack, band = published[0].stack, math.exp(published[0].band) - 1
        elif eff is not None and chip is not None:  # calibrated here, carried to another chip: no narrower a band
            # than the published calibration earned on chips it had not seen
            carried = predict_published(work.model, chip, precision, batch=1, size=size, backend=backend,
                                        cores=cores, seq=work.seq)
            band = max(band or 0.0, math.exp(carried.band) - 1)
        curve = LatencyCurve([b for b, _ in fitting], latencies)
        if curve.latency(1) > target.slo_s:
            reasons.append(f"{precision}: too slow even at batch 1 ({curve.latency(1) * 1e3:.1f} ms predicted)")
            continue
        sized = _cheapest_deployment(curve, target, count, instance.price(spot))
        if sized:
            options.append({**sized, "precision": precision, "stack": stack, "latency_1_s": curve.latency(1),
                            "error_band": band if band is not None else DEFAULT_ERROR})
    if not options:
        return {**row, "reason": "; ".join(reasons) or "no policy meets the target at this rate"}
    return {**row, **min(options, key=lambda o: o["monthly_cost_usd"]), "feasible": True, "reason": None}


def _measured(records: list[Record], priced: tuple[str, float] | None, work: Workload, target: ServingTarget,
              catalog: Catalog) -> dict | None:
    """One measured machine (this one, or a cluster node kind) as a candidate; None if it never ran this model."""
    try:
        curve = curve_from_records(records, work.model, resolution=(work.height, work.width) if work.height else None,
                                   seq=work.seq)
    except UsageError:
        return None
    env = records[0].env
    where = env.get("node_kind") or env.get("host") or "this machine"
    name = priced[0] if priced else where
    provider = catalog.instances[name].provider if name in catalog.instances else "measured machine"
    row = {"instance": name, "provider": provider, "accelerator": f"measured: {curve.device} on {where}",
           "source": "measured", "stack": curve.backend, "precision": curve.precision, "error_band": None,
           "latency_1_s": curve.latency(1), "price_per_hour_usd": priced[1] if priced else None}
    if priced is None:
        return {**row, "feasible": False, "reason": "measured, but nothing names its price (its fingerprint has no "
                                                    "catalog instance type)"}
    price = priced[1]
    if curve.latency(1) > target.slo_s:
        return {**row, "feasible": False, "reason": f"too slow even at batch 1 ({curve.latency(1) * 1e3:.1f} ms)"}
    sized = _cheapest_deployment(curve, target, 1, price)
    if not sized:
        return {**row, "feasible": False, "reason": "no policy meets the target at this rate"}
    return {**row, **sized, "feasible": True, "reason": None}


def recommend(catalog: Catalog, work: Workload, target: ServingTarget, *, candidates: Candidates = Candidates(),
              results: str | None = None, prices: dict[str, tuple[str, float] | None] | None = None) -> list[dict]:
    """Every catalog instance predicted, and every measured machine in `results` (priced by `prices`, keyed by
    machine_id; see machine_prices) as measured; feasible ones first, cheapest first."""
    target.require_slo()
    chips = chips_from(catalog)  # the devices the published calibration knows, once for every instance
    records = load_records(results) if results else []
    kinds = frozenset("cpu" if r.device == "cpu" else "gpu" for r in records if r.ok)
    rows = [_predicted(instance, catalog, work, target, candidates.spot, results, chips, kinds)
            for instance in candidates.instances(catalog)]
    if results and prices:
        for mid, priced in prices.items():
            row = _measured([r for r in records if machine_id(r.env) == mid], priced, work, target, catalog)
            if row:
                rows.append(row)
    return sorted(rows, key=lambda r: (not r["feasible"], r.get("monthly_cost_usd") or math.inf))


@dataclass
class Recommendation:
    rows: list[dict]  # every candidate, feasible ones first, cheapest first
    sentence: str  # the answer in words, with what a tenfold change in traffic would do
    rerank: Callable[[float], list[dict]] | None = None  # the ranking at a multiple of the traffic (cached)

    def shown(self, top: int) -> list[Candidate]:
        """The `top` cheapest feasible candidates, then every infeasible one with its reason."""
        keys = ("instance", "provider", "accelerator", "stack", "precision", "batch_policy", "replicas", "p99_s",
                "cost_per_inference_usd", "monthly_cost_usd", "source", "error_band", "feasible", "reason",
                "stack_note")
        rows = [{k: r.get(k) for k in keys} for r in self.rows]
        feasible = [r for r in rows if r["feasible"]]
        for r in feasible:
            r["tie_with_cheapest"] = r is not feasible[0] and _tie(feasible[0], r)
        return [Candidate(**r) for r in shown_rows(rows, top)]


def shown_rows(rows: list[dict], top: int) -> list[dict]:
    """What a ranking shows: its `top` feasible rows, in order, then every infeasible one with its reason."""
    return [r for r in rows if r["feasible"]][:top] + [r for r in rows if not r["feasible"]]


def answer(catalog: Catalog, work: Workload, target: ServingTarget, *, candidates: Candidates = Candidates(),
           results: str | None = None, prices: dict[str, tuple[str, float] | None] | None = None) -> Recommendation:
    """The ranking and the sentence that names the winner, reranked at ten times and a tenth of the traffic."""
    rows = recommend(catalog, work, target, candidates=candidates, results=results, prices=prices)

    @functools.cache
    def rerank(factor: float) -> list[dict]:
        return recommend(catalog, work, target.at_rate(target.qps * factor), candidates=candidates, results=results,
                         prices=prices)

    return Recommendation(rows, verdict(rows, target, rerank), rerank)


def _tie(first: dict, second: dict) -> bool:
    """Whether two candidates' monthly costs lie within their error bands of each other (a band is on latency, and
    cost follows the replicas the latency needs)."""
    spread = math.log1p(first["error_band"] or 0.0) + math.log1p(second["error_band"] or 0.0)
    return math.log(second["monthly_cost_usd"] / first["monthly_cost_usd"]) < spread


def verdict(rows: list[dict], target: ServingTarget, rerank) -> str:
    """A plain sentence naming the winner and why, and what a tenfold change in traffic would do."""
    feasible = [r for r in rows if r["feasible"]]
    if not feasible:
        return "No candidate meets the target at this rate; relax the latency target or lower the traffic."
    win = feasible[0]
    text = (f"{win['instance']} ({win['accelerator']}, {win['precision']}, {win['batch_policy']}) is cheapest: "
            f"{win['replicas']} x at {win['monthly_cost_usd']:,.0f} USD a month, "
            f"{win['cost_per_inference_usd'] * 1e6:.3g} USD per million inferences, p{target.percentile:g} "
            f"{win['p99_s'] * 1e3:.1f} ms ({win['source']}"
            + (f", {band_text(win).removeprefix('predicted ')}" if win["error_band"] is not None else "") + ").")
    if len(feasible) > 1:
        second = feasible[1]
        if _tie(win, second):
            text += (f" {second['instance']} at {second['monthly_cost_usd']:,.0f} USD a month is a tie: their "
                     f"error bands overlap, so the prediction can't tell which is cheaper; measure both.")
        else:
            text += f" Next: {second['instance']} at {second['monthly_cost_usd']:,.0f} USD a month."
    for factor in (10.0, 0.1):
        other = [r for r in rerank(factor) if r["feasible"]]
        if other and other[0]["instance"] != win["instance"]:
            text += (f" At {factor:g}x the traffic, {other[0]['instance']} becomes cheaper than {win['instance']}.")
            break
    else:
        text += " The winner stays the same at 10x and at a tenth of the traffic."
    return text


def recommend_generation(catalog: Catalog, model: str, target, *, precisions: tuple[str, ...] = ("fp32", "fp16",
                                                                                                 "bf16"),
                         candidates: Candidates = Candidates(), requests: int = 300) -> list[dict]:
    """Every catalog instance ranked by cost per million output tokens under p99 TTFT and TPOT targets: for each
    precision and each split N of its G accelerators (a divisor the model's heads allow; G/N replicas an instance),
    the step cost predicted on its device (predict/generation.py), served with continuous batching
    (serving/continuous.py); the cheapest (N, precision) wins. Instances that share a device and a count are sized
    once."""
    from infercost.predict.generation import DecoderShape

    shape = DecoderShape.of(model)
    chips = chips_from(catalog)
    sized: dict[tuple, dict | str] = {}  # one device, split and precision served once, for every instance with it
    rows = []
    for instance in candidates.instances(catalog):
        row = {"instance": instance.name, "provider": instance.provider,
               "accelerator": instance.accelerator or f"CPU: {instance.cpu}", "source": "predicted",
               "feasible": False}
        found = DeviceSpec.from_instance(catalog, instance)
        if found is None:
            rows.append({**row, "reason": "no accelerator or CPU figures in the catalog"})
            continue
        device, count = found
        options, reasons = [], []
        for precision in precisions:
            for tp in _splits(shape, device, count):
                key = (device.name, device.bandwidth, device.memory_bytes, tuple(sorted(device.peak_flops.items())),
                       tp, precision)
                if key not in sized:
                    sized[key] = _serve_split(model, shape, device, precision, tp, target, requests,
                                              chips.get(device.name), catalog.cpu_cores(instance))
                served = sized[key]
                if isinstance(served, str):
                    reasons.append(f"{precision}" + (f" x{tp}" if tp > 1 else "") + f": {served}")
                    continue
                instances = math.ceil(served["replicas"] / (count // tp))
                monthly = monthly_cost(instance.price(candidates.spot), instances)
                per_million = cost_per_million_tokens(monthly, target.qps * served["mean_output_tokens"])
                options.append({"precision": precision, "tp": tp, "replicas": instances,
                                "ttft_p99_s": served["ttft_p99_s"], "tpot_p99_s": served["tpot_p99_s"],
                                "max_qps_per_replica": served["max_qps_under_slo"], "monthly_cost_usd": monthly,
                                "cost_per_million_output_tokens": per_million, "error_band": served["band"]})
        if options:
            best = min(options, key=lambda o: (o["monthly_cost_usd"], o["tp"], -o["max_qps_per_replica"]))
            rows.append({**row, **best, "feasible": True,
                         "reason": None})
        else:
            rows.append({**row, "reason": "; ".join(reasons) or "no precision fits"})
    return sorted(rows, key=lambda r: (not r["feasible"], r.get("cost_per_million_output_tokens") or math.inf))


def _splits(shape, device: DeviceSpec, count: int) -> list[int]:
    """The ways one replica may take N of an instance's `count` accelerators: divisors of the count that divide the
    model's attention heads, beyond one only over an interconnect the catalog knows."""
    from infercost.predict.generation import Split

    def allowed(n: int) -> bool:
        try:
            Split.over(device, n, shape)  # the one rule for a split: heads and an interconnect
        except UsageError:
            return False
        return True

    return [n for n in range(1, count + 1) if count % n == 0 and allowed(n)]


def _serve_split(model: str, shape, device: DeviceSpec, precision: str, tp: int, target, requests: int, chip,
                 cores: int | None) -> dict | str:
    """One replica of `tp` devices at `precision` served under the target: the simulator's summary with the
    prefill's band, or why it can't serve."""
    from infercost.layers import COMPUTE_PRECISION
    from infercost.predict.generation import Split, kv_tokens
    from infercost.serving.continuous import Budget, serve_generation

    compute = COMPUTE_PRECISION.get(precision, precision)
    rate, why = device.rate(compute)
    if rate is None or (device.kind == "cpu" and compute in ("fp16", "fp8", "fp4")):
        return why or "no rate"
    split = Split.over(device, tp, shape)
    tokens = kv_tokens(shape, device, precision, split=split)
    if tokens < target.prompt[1] + target.output[1]:
        return "the weights leave no room for one request's KV cache"
    prompt = (target.prompt[0] + target.prompt[1]) // 2
    cost, band = generation_step_cost(model, device, chip, precision=precision, split=split, prompt=prompt,
                                      cores=cores)
    alone_ttft = cost.prefill_s([target.prompt[1]])
    alone_tpot = cost.decode_s(1, target.prompt[1] + target.output[1] / 2)
    if alone_ttft > target.slo_ttft_s or alone_tpot > target.slo_tpot_s:  # no queue can make it faster than alone
        return (f"misses the targets even alone (TTFT {alone_ttft * 1e3:.0f} ms, TPOT {alone_tpot * 1e3:.1f} ms at "
                f"the longest prompt)")
    served = serve_generation(cost, Budget(min(tokens, 1_000_000)), target, price_per_hour=None, requests=requests,
                              tolerance=1.3)
    if not served["max_qps_under_slo"]:
        return (f"misses the targets even alone (TTFT p99 {served['ttft_p99_s'] * 1e3:.0f} ms, TPOT p99 "
                f"{served['tpot_p99_s'] * 1e3:.1f} ms)")
    return {**served, "band": band}
