"""ilupa's layout (issue 22): no import circle among its modules, each Lua file in the
package that declares it, every Lua file declared exactly once."""

from __future__ import annotations

import ast
from pathlib import Path

from ilupa.lua_layer import LOAD_ORDER, ON_DEMAND, PARTS

PACKAGE = Path(__file__).resolve().parent.parent / "ilupa"
# Lua files that are no part of the session's layer: the sandbox's own state loads its files.
OWN_STATE = {"sandbox/sandbox.lua", "sandbox/long_loops.lua"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(body: list[ast.stmt]) -> set[str]:
    """Every module a module imports at its top level (under `if TYPE_CHECKING:` too)."""
    names: set[str] = set()
    for node in body:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.If):
            names |= _imported(node.body) | _imported(node.orelse)
        elif isinstance(node, ast.Try):
            names |= _imported(node.body) | _imported(node.orelse) | _imported(node.finalbody)
            for handler in node.handlers:
                names |= _imported(handler.body)
    return names


def _import_graph() -> dict[str, set[str]]:
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {
        name: {
            target
            for target in _imported(ast.parse(path.read_text(encoding="utf-8")).body)
            if target in paths and target != name
        }
        for name, path in paths.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_among_ilupa_modules() -> None:
    graph = _import_graph()
    assert graph.get("ilupa.session")
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_each_lua_file_sits_in_the_package_that_declares_it_and_is_declared_once() -> None:
    declared = [
        (PACKAGE.parent / file.package.replace(".", "/") / file.file_name).relative_to(PACKAGE)
        for file in LOAD_ORDER + ON_DEMAND
    ]
    assert len(declared) == len(set(declared))
    on_disk = {path.relative_to(PACKAGE) for path in PACKAGE.rglob("*.lua")}
    assert {path.as_posix() for path in on_disk - set(declared)} == OWN_STATE
    assert set(declared) <= on_disk
    assert {file.package for file in LOAD_ORDER + ON_DEMAND} <= {"ilupa", *PARTS}


def test_the_load_order_is_one_order() -> None:
    assert [file.place for file in LOAD_ORDER] == list(range(len(LOAD_ORDER)))
    assert LOAD_ORDER[0].name == "builtin_errors"
    assert all(file.place is None for file in ON_DEMAND)
