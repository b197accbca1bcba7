"""ilupa/lua_layer.py declares every Lua file of the session's layer, and loads only those."""

from __future__ import annotations

from importlib import resources

import lupa.lua54
import pytest

from ilupa.lua_layer import KNOWN, LOAD_ORDER, ON_DEMAND, PARTS, load_lua_file


def test_every_lua_file_of_the_layer_is_declared_once() -> None:
    on_disk = {
        (package, entry.name)
        for package in ("ilupa", *PARTS)
        for entry in resources.files(package).iterdir()
        if entry.name.endswith(".lua")
    }
    declared = [file.name for file in LOAD_ORDER + ON_DEMAND]
    assert {(file.package, file.file_name) for file in LOAD_ORDER + ON_DEMAND} == on_disk
    assert sorted(declared) == sorted(set(declared))
    assert set(declared) == KNOWN


def test_a_file_gets_named_inputs_and_returns_named_results() -> None:
    lua = lupa.lua54.LuaRuntime()
    shown: list[str] = []
    result = load_lua_file(lua, "output", write_stdout=shown.append, write_stderr=shown.append)
    lua.execute("print('hello', 1)")
    assert shown and "".join(shown) == "hello\t1\n"
    assert result.is_standard_stream(lua.eval("io.stdout")) is True
    assert result.is_standard_stream(lua.eval("io.stderr")) is True
    assert result.is_standard_stream(lua.eval("{}")) is False


def test_an_undeclared_file_is_refused() -> None:
    with pytest.raises(KeyError, match="not part of ilupa's Lua layer"):
        load_lua_file(lupa.lua54.LuaRuntime(), "sandbox")
