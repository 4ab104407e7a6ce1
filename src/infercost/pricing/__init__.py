"""The catalog of instances and accelerators, and the cost model that turns latencies into money.

Domain layer (pricing).
"""

from infercost.pricing.catalog import Accelerator, Catalog, Instance, load_catalog
from infercost.pricing.cost import HOURS_PER_MONTH, CostEstimate, estimate

__all__ = ["HOURS_PER_MONTH", "Accelerator", "Catalog", "CostEstimate", "Instance", "estimate", "load_catalog"]
