"""The layers read top-down: cli -> commands -> domain packages -> core, with no cycles between units."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "infercost"
CLI = {"cli", "cli_params", "__main__"}
API = {"infercost", "api"}  # the package's face and the Python API: beside the CLI, above the commands
CORE = {"errors", "limits", "units", "textfiles", "oom", "env", "paths", "process", "case", "inputs", "timing",
        "results", "layers", "month"}


def _unit(module: str) -> str:
    """infercost.serving.curve -> serving; infercost -> infercost (the package's own __init__)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "infercost"


def _is_unit(name: str) -> bool:
    """A package or a module of infercost (not a name imported from the package, like __version__)."""
    return name == "infercost" or (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").exists()


def imports() -> dict[str, set[str]]:
    """Unit -> the other units it imports, at module level or inside functions."""
    edges: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        me = _unit(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("infercost"):
                targets = [f"infercost.{a.name}" for a in node.names] if node.module == "infercost" else [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("infercost")]
            else:
                continue
            edges[me].update(u for u in map(_unit, targets) if u != me and _is_unit(u))
    return edges


def test_only_the_cli_imports_the_cli_and_only_the_cli_and_commands_import_commands():
    for unit, targets in imports().items():
        if unit not in CLI:
            assert not targets & CLI, f"{unit} imports the CLI"
        if unit not in CLI | API | {"commands"}:
            assert "commands" not in targets, f"{unit} imports commands/: domain packages never do"


def test_the_core_imports_only_the_core():
    for unit, targets in imports().items():
        if unit in CORE:
            assert targets <= CORE, f"core module {unit} imports {sorted(targets - CORE)}"


def test_no_cycles_between_units():
    edges = imports()

    def reachable(start: str) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    assert {"report", "serving", "study"} <= edges["commands"]  # the walk sees what it should
    cycles = sorted((a, b) for a in edges for b in edges[a] if a in reachable(b))
    assert cycles == []
