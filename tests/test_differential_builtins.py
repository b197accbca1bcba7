"""ilupa's wrappers of Lua builtins fail exactly as the builtins do in plain lupa.

ilupa replaces some builtins with Lua functions (docs/architecture.md, "Lua
globals ilupa replaces"): the C-stack guard's on LuaJIT, the interrupt's
coroutine functions and pcall/xpcall, collectgarbage, pairs/ipairs, the io
writes. A wrapper's frame must not show in what Lua code sees of an error: the
message, the function named in "bad argument" errors, the position (the
caller's chunk and line), the error value itself. Each chunk runs once in a
fresh plain `lupa.<runtime>.LuaRuntime` and once as a `%%lua` cell of a real
IPython shell, inside `pcall`, and what pcall returned (each value's type and
tostring, chunk names and addresses aside) must agree.

Calls are not made in tail position (`return f(x)`): a Lua function that a
caller tail-calls has no frame left to name the call on Lua 5.1-5.5 (see
docs/architecture.md), so `local r = f(x)` is the shape compared.

Bounded in the suite (`ILUPA_DIFF_EXAMPLES`, default 25 per runtime).
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from ilupa.lua_libraries.search_paths import search_paths_for
from ilupa.runtimes import available_runtimes
from tests.conftest import discard_shell, lua_magics, make_shell, run

RUNTIMES = available_runtimes()
EXAMPLES = int(os.environ.get("ILUPA_DIFF_EXAMPLES", "25"))
DIFFERENTIAL = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# The chunk runs as the body of a function called by pcall; `__result` lists
# what pcall returned. The leading newline puts plain Lua's lines where the
# cell's are (its first line is `%%lua`).
PROBE = """
local function __probe()
{chunk}
end
local function __pack(...) return {{ n = select('#', ...), ... }} end
local r = __pack(pcall(__probe))
local out = {{}}
for i = 1, r.n do out[#out + 1] = type(r[i]) .. ':' .. tostring(r[i]) end
__result = table.concat(out, ' | ')
"""
CHUNK_NAMES = re.compile(r'\[string "<python>"\]|In\[\d+\]')
ADDRESSES = re.compile(r"0x[0-9a-fA-F]+|builtin#\d+")


def _normal(text: str) -> str:
    return ADDRESSES.sub("ADDR", CHUNK_NAMES.sub("CHUNK", text))


def plain_result(runtime: str, chunk: str) -> str:
    """What pcall returned for `chunk` in a fresh plain lupa runtime.

    With the search paths a cell's state has (ilupa/lua_libraries/search_paths.py:
    where `require` looks is ilupa's documented difference, not how it fails).
    """
    module = importlib.import_module(f"lupa.{runtime}")
    lua = module.LuaRuntime()
    package = lua.globals().package
    paths = search_paths_for(runtime, package.path, package.cpath)
    package.path, package.cpath = paths.package_path, paths.package_cpath
    lua.execute(PROBE.format(chunk=chunk))
    return _normal(str(lua.globals()["__result"]))


def cell_result(shell: InteractiveShell, chunk: str) -> str:
    """What pcall returned for `chunk` run as a `%%lua` cell."""
    with capture_output():
        result = run(shell, "%%lua\n" + PROBE.format(chunk=chunk)[1:])
    result.raise_error()
    return _normal(str(lua_magics(shell).session.globals["__result"]))


@pytest.fixture(params=RUNTIMES, scope="module")
def cell_shell(request: pytest.FixtureRequest) -> Iterator[tuple[str, InteractiveShell]]:
    shell = make_shell()
    run(shell, f"%lua_reset {request.param}").raise_error()
    yield request.param, shell
    discard_shell()


def assert_same(runtime: str, shell: InteractiveShell, chunk: str) -> None:
    assert cell_result(shell, chunk) == plain_result(runtime, chunk), chunk


# -- issue 20's table, and issue 26's items 5-8 ---------------------------------------------

ISSUE_ROWS = [
    "local s = string.format('%d', 'x')",
    "require('no_such_mod')",
    "local ok = load(nil)",
    "collectgarbage('bogus')",
    "local co = coroutine.create(1)",
    "coroutine.wrap(function() error('in co') end)()",
    # tracebacks name the builtin a callback ran under (the first C frame)
    "local _, e = xpcall(function() string.gsub('a', 'a', function() return nil + 1 end) end,"
    " function() return debug.traceback('', 2):match('%[C%]: in [^\\n]*') end) error(e, 0)",
    "local _, e = xpcall(function() table.sort({3, 2, 1}, function() return nil + 1 end) end,"
    " function() return debug.traceback('', 2):match('%[C%]: in [^\\n]*') end) error(e, 0)",
    "local _, e = xpcall(function() local s = tostring(setmetatable({}, {__tostring ="
    " function() return nil + 1 end})) end,"
    " function() return debug.traceback('', 2):match('%[C%]: in [^\\n]*') end) error(e, 0)",
    # issue 26, 5: collectgarbage inside a finalizer, and its name in errors
    "local got = 'unset'\n"
    "local function f() setmetatable({}, {__gc = function() got = collectgarbage() end}) end\n"
    "f() collectgarbage() collectgarbage() error(tostring(got), 0)",
    "local r = collectgarbage({})",
    # issue 26, 6: pairs() and ipairs() with no argument
    "local r = pairs()",
    "local r = ipairs()",
    # issue 26, 7: __pairs/__ipairs of plain tables follow the runtime's rules
    "local mt = {__pairs = function() return next, {}, nil end,"
    " __ipairs = function() return next, {}, nil end}\n"
    "local a, b = 0, 0 for _ in pairs(setmetatable({1}, mt)) do a = a + 1 end\n"
    "for _ in ipairs(setmetatable({1}, mt)) do b = b + 1 end error(a .. ' ' .. b, 0)",
    # issue 26, 8: coroutine.wrap's extra position, dead coroutine, to-be-closed variables
    "local co = coroutine.wrap(function()\n  error('boom')\nend)\nco()",
    "local co = coroutine.wrap(function() end) co() co()",
    "local co = coroutine.wrap(function() error('once') end) pcall(co) co()",
    "coroutine.wrap(function() error(42) end)()",
    "coroutine.wrap(function() error({}) end)()",
]
TBC_ROW = (
    "local closed = false\n"
    "local co = coroutine.wrap(function()\n"
    "  local x <close> = setmetatable({}, {__close = function() closed = true end})\n"
    "  error('boom')\n"
    "end)\n"
    "local ok = pcall(co) error(tostring(ok) .. ' ' .. tostring(closed), 0)"
)


@pytest.mark.parametrize("chunk", ISSUE_ROWS)
def test_issue_rows_fail_as_in_plain_lua(cell_shell: tuple[str, InteractiveShell], chunk: str):
    runtime, shell = cell_shell
    assert_same(runtime, shell, chunk)


def test_wrapped_coroutine_closes_its_variables(cell_shell: tuple[str, InteractiveShell]):
    runtime, shell = cell_shell
    if runtime not in ("lua54", "lua55"):
        pytest.skip("to-be-closed variables are Lua 5.4+")
    assert_same(runtime, shell, TBC_ROW)


# -- every wrapped builtin, called wrongly ---------------------------------------------------

EXPLICIT = [
    "local s = ('%d'):format('x')",
    "local s = ('x'):rep({})",
    "local ok = loadstring and loadstring(nil)",
    "local r = collectgarbage('count', 'x')",
    "local r = collectgarbage('step', 'x')",
    "local co = coroutine.wrap(1)",
    "local r = coroutine.resume(1)",
    "local s = tostring()",
    "local s = string.gsub()",
    "local s = ('abc'):gsub()",
    "table.sort({3, 1, 2}, function(a, b) error('x') end)",
    "table.sort({3, 1, 2}, 3)",
    "table.sort()",
    "local r = pcall()",
    "local r = xpcall()",
    "local r = xpcall(print)",
    "local r = xpcall(print, 1)",
    "local r = pairs(nil)",
    "local r = ipairs(1)",
    "local x = io.write({})",
    "local x = io.write('', nil)",
    "local x = io.stdout:write({})",
    "local x = io.stderr.write({})",
    "error({})",
    "error(setmetatable({}, {__tostring = function() return 'obj' end}))",
    "local r = string.gsub('abc', 'b', function() error('in gsub') end)",
    "local r = string.gsub('abc', 'b', function() local x = string.format('%d', {}) end)",
    "local r = tostring(setmetatable({}, {__tostring = function() local x = tostring() end}))",
    "local co = coroutine.create(function() local s = string.format('%d', 'x') end)\n"
    "local ok, e = coroutine.resume(co) error(e, 0)",
    "local co = coroutine.create(function() local s = coroutine.create(2) end)\n"
    "local ok, e = coroutine.resume(co) error(e, 0)",
    "local ok, e = xpcall(function() local s = tostring() end,"
    " function(m) return 'H:' .. tostring(m) end) error(e, 0)",
    "local f = string.format; local s = f('%d', 'x')",
    "local t = {fmt = string.format}; local s = t.fmt('%d', 'x')",
    "local ok, e = pcall(string.format, '%d', 'x') error(e, 0)",
]


@pytest.mark.parametrize("chunk", EXPLICIT)
def test_wrapped_builtins_fail_as_in_plain_lua(
    cell_shell: tuple[str, InteractiveShell], chunk: str
) -> None:
    runtime, shell = cell_shell
    assert_same(runtime, shell, chunk)


CALLEES = st.sampled_from(
    [
        "tostring",
        "string.format",
        "('%d'):format",
        "string.gsub",
        "('abc'):gsub",
        "table.sort",
        "load",
        "collectgarbage",
        "require",
        "pcall",
        "xpcall",
        "coroutine.create",
        "coroutine.wrap",
        "coroutine.resume",
        "pairs",
        "ipairs",
        "io.write",
        "io.stdout:write",
    ]
)
ARGUMENTS = st.sampled_from(
    [
        "nil",
        "1",
        "'x'",
        "'%d'",
        "'%s'",
        "{}",
        "true",
        "'bogus'",
        "'count'",
        "function() error('cb') end",
        "function() error({}) end",
        "function() local s = string.format('%d', 'y') end",
        "setmetatable({}, {__tostring = function() return 'T' end})",
        "setmetatable({}, {__tostring = function() error('ts') end})",
    ]
)
# Where the call runs: directly, in a coroutine, inside pcall, in a function
# that string.gsub calls back.
CONTEXTS = st.sampled_from(
    [
        "{call}",
        "local co = coroutine.create(function() {call} end)\n"
        "local ok, e = coroutine.resume(co) if not ok then error(e, 0) end",
        "local ok, e = pcall(function() {call} end) if not ok then error(e, 0) end",
        "local s = string.gsub('a', 'a', function() {call} end)",
        "coroutine.wrap(function() {call} end)()",
    ]
)


@st.composite
def bad_calls(draw: st.DrawFn) -> str:
    callee = draw(CALLEES)
    arguments = draw(st.lists(ARGUMENTS, max_size=3))
    call = f"local r = {callee}({', '.join(arguments)})"
    return draw(CONTEXTS).format(call=call)


@DIFFERENTIAL
@given(chunk=bad_calls())
def test_generated_bad_calls_fail_as_in_plain_lua(
    cell_shell: tuple[str, InteractiveShell], chunk: str
) -> None:
    runtime, shell = cell_shell
    assert_same(runtime, shell, chunk)


# -- from a Lua function that Python calls ---------------------------------------------------


def test_errors_in_a_lua_function_python_calls(cell_shell: tuple[str, InteractiveShell]):
    """A Lua function called by Python: the error reaches Python with the builtin's message."""
    runtime, shell = cell_shell
    module = importlib.import_module(f"lupa.{runtime}")
    lua = module.LuaRuntime()
    chunk = "\nfunction bad() local s = string.format('%d', 'x') end\n"
    lua.execute(chunk)
    with pytest.raises(module.LuaError) as plain:
        lua.globals()["bad"]()
    with capture_output():
        run(shell, "%%lua" + chunk).raise_error()
        run(shell, "function = %lua bad").raise_error()
    function = shell.user_ns["function"]
    with pytest.raises(Exception) as cell:
        function()
    expected = _normal(str(plain.value).split("\n")[0])
    got = _normal(str(cell.value).split("\n")[0])
    assert got == expected
