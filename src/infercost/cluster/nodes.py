"""Node kinds: which nodes of a Ray cluster count as one kind of hardware, named by accelerator, resource or label.

Domain layer (cluster).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infercost.errors import UsageError

ACCELERATOR_PREFIX = "accelerator_type:"  # the resource Ray gives a node with a known GPU or accelerator
_BUILTIN = {"CPU", "GPU", "memory", "object_store_memory"}
SELECTORS = ("accelerator", "resource", "label", "cpu")


@dataclass(frozen=True)
class Node:
    """One Ray node as ray.nodes() describes it."""

    node_id: str
    address: str
    alive: bool
    resources: dict = field(default_factory=dict, hash=False, compare=False)
    labels: dict = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def from_ray(cls, raw: dict) -> Node:
        return cls(raw["NodeID"], raw.get("NodeManagerAddress", "?"), bool(raw.get("Alive")),
                   dict(raw.get("Resources") or {}), dict(raw.get("Labels") or {}))

    @property
    def accelerator(self) -> str | None:
        return next((k[len(ACCELERATOR_PREFIX):] for k in self.resources if k.startswith(ACCELERATOR_PREFIX)), None)

    @property
    def custom_resources(self) -> list[str]:
        internal = ("node:", ACCELERATOR_PREFIX)
        return sorted(k for k in self.resources if k not in _BUILTIN and not k.startswith(internal))


@dataclass(frozen=True)
class NodeKind:
    """A name for a group of nodes: `A100` (accelerator type), `kind_a` (custom resource), `zone=x` (label), or
    `cpu` (nodes with no accelerator). The name goes into every record as env.node_kind."""

    name: str
    selector: str
    value: str

    def matches(self, node: Node) -> bool:
        if self.selector == "accelerator":
            return node.accelerator == self.value
        if self.selector == "resource":
            return node.resources.get(self.value, 0) > 0
        if self.selector == "label":
            key, _, wanted = self.value.partition("=")
            return node.labels.get(key) == wanted
        return node.accelerator is None and not node.resources.get("GPU")


def default_kinds(nodes: list[Node]) -> list[NodeKind]:
    """Every accelerator type among the live nodes, plus `cpu` for nodes without one."""
    alive = [n for n in nodes if n.alive]
    kinds = [NodeKind(a, "accelerator", a) for a in sorted({n.accelerator for n in alive if n.accelerator})]
    cpu = NodeKind("cpu", "cpu", "")
    return kinds + ([cpu] if any(cpu.matches(n) for n in alive) else [])


def parse_targets(text: str | None, nodes: list[Node]) -> list[NodeKind]:
    """`--targets A100,kind_a,zone=x` (or with explicit `accelerator:`, `resource:`, `label:` prefixes)."""
    if not text:
        return default_kinds(nodes)
    kinds = [_parse_target(item.strip(), nodes) for item in text.split(",") if item.strip()]
    if not kinds:
        raise UsageError("--targets names no node kind")
    return kinds


def _parse_target(item: str, nodes: list[Node]) -> NodeKind:
    prefix, sep, rest = item.partition(":")
    if sep and prefix in SELECTORS:
        kind = NodeKind(rest or prefix, prefix, rest)
    elif "=" in item:
        kind = NodeKind(item, "label", item)
    elif item == "cpu":
        kind = NodeKind("cpu", "cpu", "")
    elif any(n.accelerator == item for n in nodes):
        kind = NodeKind(item, "accelerator", item)
    else:
        kind = NodeKind(item, "resource", item)
    if not any(kind.matches(n) for n in nodes if n.alive):
        raise UsageError(f"no live node of the cluster matches target {item!r}; it has: {describe(nodes)}")
    return kind


def describe(nodes: list[Node]) -> str:
    """What kinds the cluster offers, for error messages and `--targets` help."""
    alive = [n for n in nodes if n.alive]
    accelerators = sorted({n.accelerator for n in alive if n.accelerator})
    resources = sorted({r for n in alive for r in n.custom_resources})
    labels = sorted({f"{k}={v}" for n in alive for k, v in n.labels.items() if not k.startswith("ray.io/")})
    parts = [f"{len(alive)} live nodes", "accelerators: " + (", ".join(accelerators) or "none"),
             "resources: " + (", ".join(resources) or "none"), "labels: " + (", ".join(labels) or "none")]
    return "; ".join(parts)
