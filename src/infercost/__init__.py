"""infercost: measure neural-network inference honestly and price it across cloud hardware.

Core layer.
"""

from infercost.case import Case
from infercost.errors import InfercostError

__all__ = ["Case", "InfercostError", "__version__"]

__version__ = "0.1.0"
