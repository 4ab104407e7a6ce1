"""The layers read top-down: cli -> commands -> domain packages -> runtime -> core, with no cycles between units and
none between modules.

The walk sees every import, at module level or inside a function: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "infercost"
CLI = {"cli", "cli_params", "__main__"}
API = {"infercost", "api"}  # the package's face and the Python API: beside the CLI, above the commands
DOMAIN = {"study", "cluster", "serving", "pricing", "predict", "report", "view"}
RUNTIME = {"models", "backends", "runner", "grid", "selection", "accuracy", "probe", "venvs", "generation", "foreign"}
CORE = {"errors", "limits", "units", "textfiles", "oom", "env", "paths", "process", "case", "inputs", "timing",
        "results", "layers", "month", "version"}


def _unit(module: str) -> str:
    """infercost.serving.curve -> serving; infercost -> infercost (the package's own __init__)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "infercost"


def _module_file(package: Path, module: str) -> Path | None:
    """The file of a dotted module name under `package` (its __init__ for a package), or None."""
    relative = Path(*module.split(".")[1:]) if "." in module else Path()
    for candidate in (package / relative / "__init__.py", (package / relative).with_suffix(".py")):
        if module != package.name and candidate.name != "__init__.py" and candidate.exists():
            return candidate
        if candidate.name == "__init__.py" and candidate.exists():
            return candidate
    return None


def module_imports(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (`from a import b` counts a.b where b is a module)."""
    name = package.name
    edges: dict[str, set[str]] = defaultdict(set)
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        me = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == name:
                targets = [f"{node.module}.{a.name}" if _module_file(package, f"{node.module}.{a.name}")
                           else node.module for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.split(".")[0] == name]
            else:
                continue
            edges[me].update(t for t in targets if t != me and _module_file(package, t))
    return edges


def imports(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Unit -> the other units it imports."""
    edges: dict[str, set[str]] = defaultdict(set)
    for me, targets in module_imports(package).items():
        edges[_unit(me)].update(u for u in map(_unit, targets) if u != _unit(me))
    return edges


def cycles(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Every pair (a, b) where a imports b and b reaches a again."""
    def reachable(start: str) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    return sorted((a, b) for a in edges for b in edges[a] if a in reachable(b))


def downward_violations(edges: dict[str, set[str]]) -> list[str]:
    """Imports that go up a layer: the runtime into the domain (or higher), the core into anything but the core."""
    found = []
    for unit, targets in edges.items():
        if unit in RUNTIME and targets - RUNTIME - CORE:
            found.append(f"runtime {unit} imports {sorted(targets - RUNTIME - CORE)}")
        if unit in CORE and targets - CORE:
            found.append(f"core {unit} imports {sorted(targets - CORE)}")
    return found


def test_every_unit_has_a_layer():
    units = {p.stem if p.suffix else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" or (p / "__init__.py").exists())}
    assert units - {"__init__"} - CLI - API - {"commands"} - DOMAIN - RUNTIME - CORE == set()


def test_only_the_cli_imports_the_cli_and_only_the_cli_and_commands_import_commands():
    for unit, targets in imports().items():
        if unit not in CLI:
            assert not targets & CLI, f"{unit} imports the CLI"
        if unit not in CLI | API | {"commands"}:
            assert "commands" not in targets, f"{unit} imports commands/: domain packages never do"


def test_the_runtime_and_the_core_import_only_downwards():
    assert downward_violations(imports()) == []


def test_no_cycles_between_units():
    edges = imports()
    assert {"report", "serving", "study"} <= edges["commands"]  # the walk sees what it should
    assert cycles(edges) == []


def test_no_cycles_between_modules():
    edges = module_imports()
    assert "infercost.predict.corpus" in edges["infercost.predict.corpus_roofline"]  # the walk sees modules
    assert cycles(edges) == []


def _fake_package(root: Path, files: dict[str, str]) -> Path:
    package = root / "infercost"
    for name, text in {"__init__.py": "", **files}.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return package


def test_the_test_catches_a_cycle_between_two_modules_of_one_unit(tmp_path):
    package = _fake_package(tmp_path, {
        "predict/__init__.py": "", "predict/a.py": "from infercost.predict.b import x\n",
        "predict/b.py": "def f():\n    from infercost.predict import a\n"})
    assert imports(package).get("predict", set()) == set()  # invisible to units
    assert cycles(module_imports(package)) == [("infercost.predict.a", "infercost.predict.b"),
                                               ("infercost.predict.b", "infercost.predict.a")]


def test_the_test_catches_the_runtime_importing_the_domain(tmp_path):
    package = _fake_package(tmp_path, {
        "probe.py": "def peak():\n    from infercost.pricing import load_catalog\n",
        "pricing/__init__.py": "from infercost.month import HOURS\n", "month.py": "HOURS = 730\n"})
    assert downward_violations(imports(package)) == ["runtime probe imports ['pricing']"]
