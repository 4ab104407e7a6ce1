"""Public functions with more than three parameters take the rest by keyword: a call reads as what it passes."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "infercost"


def positional_heavy(package: Path = PACKAGE) -> list[str]:
    """Module-level public functions taking more than three parameters by position (the CLI's click callbacks,
    called by click with keywords, aside)."""
    found = []
    for path in package.rglob("*.py"):
        if "cli" in path.relative_to(package).parts[:1]:
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                positional = node.args.posonlyargs + node.args.args
                if len(positional) > 3:
                    found.append(f"{path.relative_to(package)}:{node.lineno} {node.name}")
    return found


def test_public_functions_take_a_fourth_parameter_by_keyword():
    assert positional_heavy() == []


def test_the_test_sees_a_fourth_positional_parameter(tmp_path):
    (tmp_path / "m.py").write_text("def f(a, b, c, d=1):\n    pass\n\n\ndef g(a, b, c, *, d=1):\n    pass\n")
    assert positional_heavy(tmp_path) == ["m.py:1 f"]
