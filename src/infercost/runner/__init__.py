"""Run cases: the worker measures one case (in a child process), the manager spawns it and records failures.

Runtime layer (runner).
"""

from infercost.runner.manager import Runner
from infercost.runner.options import RunOptions
from infercost.runner.worker import measure_case

__all__ = ["RunOptions", "Runner", "measure_case"]
