"""infercost: measure neural-network inference honestly and price it across cloud hardware.

    import infercost
    records = infercost.bench("resnet50", batch=[1, 8], resolution=64)
    infercost.load("infercost-results").to_pandas()

API layer: the package's face. `bench` and `load` come from infercost.api, imported on first use so that
`import infercost` stays light.
"""

from infercost.case import Case
from infercost.errors import InfercostError
from infercost.inputs import Input
from infercost.version import __version__

__all__ = ["Case", "InfercostError", "Input", "__version__", "bench", "load"]


def __getattr__(name: str):
    if name in ("bench", "load"):
        from infercost import api

        return getattr(api, name)
    raise AttributeError(f"module 'infercost' has no attribute {name!r}")
