"""Layering: the pure core imports no I/O or orchestration library; Prefect stays in its corner."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import PROJECT_ROOT

PURE_MODULES = ("tasks.extract.page", "tasks.links", "tasks.records")
PREFECT_ALLOWED = ("flows/", "tasks/steps.py")


def test_pure_layer_imports_neither_prefect_requests_nor_duckdb() -> None:
    code = (
        "import sys\n"
        f"for name in {PURE_MODULES!r}: __import__(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'requests', 'duckdb', 'pyarrow'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True
    )
    assert result.stdout.strip() == ""


def _imported_roots(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_prefect_is_imported_only_by_flows_and_task_wrappers() -> None:
    offenders = []
    for folder in ("tasks", "warehouse", "flows"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if "prefect" in _imported_roots(path) and not relative.startswith(PREFECT_ALLOWED):
                offenders.append(relative)
    assert offenders == []


def test_extraction_modules_do_no_network_or_database_io() -> None:
    forbidden = {"requests", "duckdb", "socket", "urllib3", "prefect", "pyarrow"}
    for path in (PROJECT_ROOT / "tasks" / "extract").glob("*.py"):
        assert not (_imported_roots(path) & forbidden), path.name
