"""Playwright re-evaluates a bare ``wait_for_function`` expression with ``eval`` on every
poll after the first, which the pages' Content-Security-Policy (no 'unsafe-eval') refuses;
an arrow function is evaluated once and then called. A bare expression therefore passes
only when the condition already holds at the first poll, and fails at random otherwise."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _waits_on_bare_expressions():
    for path in ROOT.glob("*/**/tests/*.py"):
        if ".venv" in path.parts or "node_modules" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "wait_for_function"
                and node.args
            ):
                continue
            expression = node.args[0]
            text = ast.unparse(expression)
            if "=>" not in text.split(",")[0] and "function" not in text:
                yield f"{path.relative_to(ROOT)}:{node.lineno}"


def test_browser_tests_wait_on_functions_not_bare_expressions():
    assert list(_waits_on_bare_expressions()) == []
