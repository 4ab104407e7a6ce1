"""Every third-party import in src/ and tests/ is declared in pyproject.toml: a fresh install must have it."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Frameworks that run in environments of their own (infercost envs), never in infercost's: named, not declared.
OWN_ENVIRONMENTS = {"mxnet", "tensorflow", "keras", "tensorrt"}


def imported_modules(directory: Path) -> dict[str, list[str]]:
    """Top-level module name -> where it is imported, for every absolute import (inside functions too)."""
    found: dict[str, list[str]] = {}
    for path in sorted(directory.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.partition(".")[0], []).append(f"{path.relative_to(directory)}:{node.lineno}")
    return found


def declared_distributions() -> set[str]:
    """Normalised names of every distribution pyproject.toml asks for, core and extras."""
    try:
        import tomllib
    except ImportError:  # Python 3.10: the installed metadata says the same
        requirements = importlib.metadata.requires("infercost") or []
    else:
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values()
                                                  for r in extra]
    return {_normal(re.match(r"\s*([A-Za-z0-9_.\-]+)", r).group(1)) for r in requirements}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def undeclared(directory: Path) -> dict[str, list[str]]:
    local = {"infercost", "tests", "fake_framework"}
    owners = importlib.metadata.packages_distributions()
    declared = declared_distributions()
    missing = {}
    for module, where in imported_modules(directory).items():
        if module in sys.stdlib_module_names or module in local or module in OWN_ENVIRONMENTS or module == "__future__":
            continue
        distributions = {_normal(d) for d in owners.get(module, [module])}  # not installed: the module's own name
        if not distributions & declared:
            missing[module] = where
    return missing


def test_every_import_in_src_is_declared():
    assert undeclared(ROOT / "src") == {}


def test_every_import_in_tests_and_benchmarks_is_declared():
    assert undeclared(ROOT / "tests") == {}
    assert undeclared(ROOT / "benchmarks") == {}


def test_the_walk_finds_imports_inside_functions(tmp_path):
    (tmp_path / "late.py").write_text("def f():\n    import surely_not_declared_pkg.sub\n    from os import path\n"
                                      "    import numpy, mxnet\n")
    assert undeclared(tmp_path) == {"surely_not_declared_pkg": ["late.py:2"]}
