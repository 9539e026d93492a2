"""reelscan_shared.domain may import only the standard library (and itself)."""

import ast
import sys
from pathlib import Path

import reelscan_shared.domain as domain

DOMAIN_DIR = Path(domain.__file__).parent


def _imported_modules(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_domain_imports_only_the_standard_library() -> None:
    files = sorted(DOMAIN_DIR.glob("*.py"))
    assert files, "domain package not found"
    offenders = {}
    for path in files:
        foreign = {
            m for m in _imported_modules(path.read_text())
            if m not in sys.stdlib_module_names and m not in {"reelscan_shared", "__future__"}
        }
        internal = [line for line in path.read_text().splitlines()
                    if "from reelscan_shared." in line and "reelscan_shared.domain" not in line]
        if foreign or internal:
            offenders[path.name] = sorted(foreign) + internal
    assert offenders == {}


def test_the_check_catches_a_framework_import() -> None:
    assert "fastapi" in _imported_modules("from fastapi import APIRouter\nimport os")
