"""Real traffic: latency-by-batch curves, arrival processes, the dynamic-batching simulator, capacity, load tests.

Domain layer (serving).
"""

from infercost.serving.arrivals import bursty, poisson, read_trace
from infercost.serving.curve import LatencyCurve, curve_from_records
from infercost.serving.policy import Policy
from infercost.serving.simulator import SimResult, simulate, simulate_pieces

__all__ = ["LatencyCurve", "Policy", "SimResult", "bursty", "curve_from_records", "poisson", "read_trace", "simulate",
           "simulate_pieces"]
