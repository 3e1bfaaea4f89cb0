"""The four top-level packages import from this repository, not from some installed copy."""

import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["agents", "checks", "sop_registry", "reports"])
def test_package_imports_from_repo(name):
    module = importlib.import_module(name)
    assert Path(module.__file__).resolve().parent == REPO / name


def test_checks_imports_nothing_from_the_other_packages():
    # DESIGN: checks are pure probes; data flows sop_registry -> agents -> ledger -> reports.
    for path in (REPO / "checks").rglob("*.py"):
        text = path.read_text()
        for other in ("agents", "sop_registry", "reports"):
            assert f"import {other}" not in text and f"from {other}" not in text, f"{path} imports {other}"
