"""Lua's standard files and print in a cell are Lua's own: the same answers as plain lupa.

Differential, generated (hypothesis): expressions about `print`, `io.stdout`,
`io.stderr`, `io.stdin`, io with formats and the default files run in plain
lupa and as a cell on each runtime; their values must be equal. Output itself
goes to Python's streams (tests/test_output.py); here only what Lua code can
observe is compared.
"""

from __future__ import annotations

import builtins

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilupa.runtimes import available_runtimes, load_runtime_module
from ilupa.session import LuaSession

RUNTIMES = available_runtimes()

OBSERVATIONS = [
    "type(print)",
    "(pcall(string.dump, print))",
    "debug.getinfo(print).what",
    "debug.getinfo(print, 'S').short_src",
    "type(io.stdout)",
    "io.type(io.stdout)",
    "io.type(io.stderr)",
    "io.type(io.stdin)",
    "type(io.stdin)",
    "select(2, pcall(io.close, io.stdin))",
    "select(3, pcall(io.close, io.stdout))",
    "(pcall(rawlen, io.stdin))",
    "getmetatable(io.stdin).__name",
    "type(getmetatable(io.stdout).__gc)",
    "io.output() == io.stdout",
    "io.input() == io.stdin",
    "io.stdout == io.output()",
    "(pcall(io.stdout.seek, io.stdout, 'set', 0))",
    "io.stdout:setvbuf('no')",
    "select('#', io.stdout:write(''))",
    "io.type(io.stdout:write('')) or type(io.stdout:write(''))",
    "tostring(io.stdout):match('^file %(') ~= nil",
    "(pcall(print, setmetatable({}, {__tostring = function() return 1 end})))",
    "(pcall(print, setmetatable({}, {__name = 'N'})))",
]


def plain_and_cell(runtime: str, code: str) -> tuple[object, object]:
    plain = load_runtime_module(runtime).LuaRuntime().execute(code)
    cell = LuaSession(runtime, {}).run(code, "In[1]")
    return plain, cell[0] if len(cell) == 1 else cell


def _comparable(value: object) -> object:
    return type(value).__name__ if type(value).__name__.startswith("_Lua") else value


@pytest.mark.parametrize("runtime", RUNTIMES)
@settings(max_examples=25, deadline=None)
@given(chosen=st.lists(st.sampled_from(OBSERVATIONS), min_size=1, max_size=5, unique=True))
def test_what_lua_code_sees_of_print_and_the_standard_files(runtime, chosen):
    # a last `true`: lupa and a cell agree on how many values come back
    code = "return " + ", ".join(f"(function() return {e} end)()" for e in chosen) + ", true"
    plain = load_runtime_module(runtime).LuaRuntime().execute(code)
    cell = LuaSession(runtime, {}).run(code, "In[1]")
    plain = plain if isinstance(plain, tuple) else (plain,)
    assert tuple(map(_comparable, cell)) == tuple(map(_comparable, plain))


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_print_uses_a_redefined_global_tostring_where_lua_s_own_does(runtime, capsys):
    """Lua 5.1-5.3 and LuaJIT call the global tostring from print; 5.4 and later do not."""
    code = "local old = tostring tostring = function(v) return 'T(' .. old(v) .. ')' end print(1)"
    LuaSession(runtime, {}).run(code, "In[1]")
    shown = capsys.readouterr().out
    expected = "1\n" if runtime in ("lua54", "lua55") else "T(1)\n"
    assert shown == expected


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_io_lines_on_standard_input_keeps_its_formats(runtime, monkeypatch):
    answers = iter(["first", "second", ""])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))
    fmt = "'L'" if runtime not in ("lua51", "lua52", "luajit20") else "'*l'"
    code = (
        f"local t = {{}} for l in io.lines(nil, {fmt}) do t[#t + 1] = l end return t[1], t[2], #t"
    )
    if runtime in ("lua51", "luajit20", "luajit21"):
        code = code.replace("io.lines(nil, ", "io.stdin:lines(")
    values = LuaSession(runtime, {}).run(code, "In[1]")
    newline = "\n" if fmt == "'L'" else ""
    assert values == ("first" + newline, "second" + newline, 2)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_closed_default_output_reads_as_in_lua(runtime, tmp_path):
    path = str(tmp_path / "out.txt").replace("\\", "/")
    code = (
        f"local f = assert(io.open('{path}', 'w')) io.output(f) f:close() "
        "local ok, message = pcall(io.write, 'x') io.output(io.stdout) return ok, message"
    )
    plain, cell = plain_and_cell(runtime, code)
    assert cell == plain


@pytest.mark.parametrize("runtime", [r for r in RUNTIMES if r.startswith("luajit")])
def test_a_fresh_state_has_no_traces_of_ilupa_s_set_up(runtime):
    plain, cell = plain_and_cell(runtime, "return require('jit.util').traceinfo(1) ~= nil")
    assert cell == plain is False
