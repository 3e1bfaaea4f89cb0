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


PACKAGES = ("agents", "checks", "sop_registry", "reports")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The project modules a module imports, at module level or inside a function (a lazy import
    that only breaks a circle at load time is still a circle), except behind TYPE_CHECKING."""
    import ast

    tree = ast.parse(path.read_text())
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in out if m.split(".")[0] in PACKAGES}


def test_no_import_circles_between_modules():
    # The first wave had two (checks/web/crawl <-> evaluate, reports/render <-> sheets): a circle
    # works only by the accident of which module is imported first.
    files = [p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py") if "migrations" not in p.parts]
    modules = {_module_name(p): p for p in files}
    graph = {}
    for name, path in modules.items():
        # A module depends on what it imports; importing a submodule loads its package too, but a
        # package importing its own submodules (a registry) is the package's nature, not a circle.
        graph[name] = {m for m in _imports(path) if m in modules and m != name}
    for name, edges in graph.items():
        graph[name] = {m for m in edges if not (name.startswith(m + ".") and modules[m].stem == "__init__")}
    seen: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(node: str, stack: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                raise AssertionError("import circle: " + " -> ".join([*stack[stack.index(nxt):], nxt]))
            if nxt not in seen:
                visit(nxt, [*stack, nxt])
        seen[node] = 2

    for name in sorted(graph):
        if name not in seen:
            visit(name, [name])


def test_tests_import_helpers_one_way():
    # Tests share code through tests/helpers/ only: no test module imports another, and no helper
    # imports a test (a helper in a test module is how one file's fixture silently changed another's).
    for path in (REPO / "tests").rglob("*.py"):
        if path == Path(__file__).resolve():
            continue
        text = path.read_text()
        assert "from test_" not in text and "import test_" not in text, path
        assert "from tests." not in text, path
        if "helpers" in path.parts:
            assert "pytest.mark" not in text or path.name == "conftest.py", path
