"""Run a study on every node kind of a Ray cluster and gather the results in one directory (optional: Ray).

Domain layer (cluster).
"""

from infercost.cluster.nodes import Node, NodeKind, default_kinds, describe, parse_targets
from infercost.cluster.schedule import ClusterRun, NodeLost, Work

__all__ = ["ClusterRun", "Node", "NodeKind", "NodeLost", "Work", "default_kinds", "describe", "parse_targets"]
