"""Untrusted cells that ran without end, crashed the process, or printed past the budget.

Each one ran in a single place the instruction budget and the stop button could
not reach: a message handler Lua called with hooks off, a C function calling
ilupa's own functions in a loop, the runner's copy of many values, a builtin's
C loop, Lua 5.1's unbounded pattern recursion. Each runs here in a child
process with a deadline, so a regression fails the test instead of hanging the
suite; the deadline is tens of seconds for what takes milliseconds when fixed.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from typing import Any

import pytest

from ilupa.runtimes import available_runtimes
from ilupa.sandbox.state import SandboxState

SANDBOX_RUNTIMES = [name for name in available_runtimes() if name != "luajit20"]
DEADLINE_SECONDS = 60
CHILD = """
import sys
from ilupa.sandbox.state import SandboxState
sandbox = SandboxState(sys.argv[1], 64 << 20, 10_000_000, output_limit=1_000_000)
try:
    values = sandbox.run(sys.argv[2], "In[1]")
    print("VALUES", repr(values)[:200])
except Exception as error:
    print("ERROR", type(error).__name__, str(error).splitlines()[0][:200])
"""


def outcome(runtime: str, code: str) -> str:
    """The last line the child printed: `VALUES ...` or `ERROR <type> <message>`."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, runtime, code],
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    return done.stdout.strip().splitlines()[-1]


HANDLER_PAST_THE_C_STACK = (
    "local function burn() local x = 0 for i = 1, 3000 do x = x + i end return x end\n"
    "local function nest(n)\n"
    "  if n == 0 then return xpcall(burn, function() while true do end end) end\n"
    "  return pcall(nest, n - 1)\n"
    "end\n"
    "for d = 1, 260 do nest(d) end\n"
    "return 'done'"
)


@pytest.mark.parametrize("runtime", SANDBOX_RUNTIMES)
def test_a_handler_called_where_hooks_are_off_still_ends(runtime: str) -> None:
    # at 196 nested C calls, calling the hook itself overflows the C stack: Lua calls
    # the handler for that error with hooks off (the handler runs apart, hooked)
    shown = outcome(runtime, HANDLER_PAST_THE_C_STACK)
    assert shown == "VALUES ('done',)" or "instruction budget" in shown, shown


@pytest.mark.parametrize("runtime", SANDBOX_RUNTIMES)
def test_a_pattern_nested_past_lua_s_limit_is_refused_not_a_crash(runtime: str) -> None:
    # plain Lua 5.1 overflows the C stack (the process dies); 5.2+ and LuaJIT refuse
    code = "return (string.find(('a'):rep(200000), ('a?'):rep(200000)))"
    assert "pattern too complex" in outcome(runtime, code)


@pytest.mark.parametrize("runtime", SANDBOX_RUNTIMES)
def test_many_returned_values_are_copied_in_linear_time(runtime: str) -> None:
    code = "local t = {} for i = 1, 300000 do t[i] = i end return (table.unpack or unpack)(t)"
    shown = outcome(runtime, code)
    # Lua 5.1 and LuaJIT refuse that many results themselves
    assert shown.startswith("VALUES (1, 2, 3") or "too many results" in shown, shown


@pytest.mark.skipif("luajit21" not in SANDBOX_RUNTIMES, reason="lupa has no luajit21 here")
def test_ilupa_s_own_function_called_by_c_in_a_loop_meets_the_budget() -> None:
    # the C-stack guard's pcall, called by gsub for each byte, never returned to the cell
    code = "local s = ('x'):rep(2^22) return s:gsub('.', pcall)"
    assert "instruction budget" in outcome("luajit21", code)


@pytest.mark.parametrize("runtime", [r for r in ("lua51", "lua52") if r in SANDBOX_RUNTIMES])
def test_rep_of_nothing_returns_at_once_on_lua_51_and_52(runtime: str) -> None:
    code = "local n = 0 for i = 1, 64 do n = n + #string.rep('', 2^31 - 1) end return n"
    assert outcome(runtime, code) == "VALUES (0,)"


@pytest.mark.parametrize("runtime", [r for r in ("lua51", "lua52") if r in SANDBOX_RUNTIMES])
@pytest.mark.parametrize(
    "call",
    [
        "string.rep('', 3, ',')",
        "string.rep('', 0)",
        "string.rep('', -1, 'x')",
        "string.rep('', '4', '-')",
        "string.rep('ab', 3, '')",
        "string.rep(12, 2)",
    ],
)
def test_rep_of_nothing_is_the_builtin_s_result(runtime: str, call: str) -> None:
    plain = importlib.import_module(f"lupa.{runtime}").LuaRuntime()
    expected = plain.eval(call)
    sandbox = SandboxState(runtime, 16 << 20, 1_000_000)
    assert sandbox.run(f"return {call}", "In[1]") == (expected,)


@pytest.mark.parametrize("runtime", SANDBOX_RUNTIMES)
def test_printed_output_is_counted_in_bytes(
    runtime: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = SandboxState(runtime, 16 << 20, 10_000_000, output_limit=1000)
    sandbox.run("print(('\\240\\159\\152\\128'):rep(5000))", "In[1]")  # 4-byte characters
    printed = capsys.readouterr().out
    cut = printed.index("[ilupa: output cut here")
    assert len(printed[:cut].encode()) <= 1001  # the limit, and the note's newline


SAME_ERRORS_AS_LUA = [
    "local x = coroutine.create(5)",
    "local x = coroutine.wrap()",
    "local x = coroutine.create()",
    "local t = setmetatable(setmetatable({}, {__metatable = 1}), {})",
    "local t = setmetatable({}, 5)",
]
SAME_LOADS_AS_LUA_52 = [  # the sandbox's load is Lua 5.2's on every runtime
    "local f, e = load(5) return e",
    "local f, e = load('x = = 1') return e",
    "local f, e = load('x = = 1', 'named') return e",
    "local f, e = load(function() return nil end) return f ~= nil",
    "local f = load({})",
    "local f = load()",
]


def _outcome(run: Any) -> tuple[str, Any]:
    """What a chunk gives: its values as a tuple, or its error with the cell's
    position made common to both ("In[1]:1:" and lupa's '[string "<python>"]:1:')."""
    try:
        values = run()
    except Exception as error:
        first = str(error).splitlines()[0]
        for position in ('[string "<python>"]:', "In[1]:"):
            first = first.replace(position, "<chunk>:")
        return "error", first
    if values is None:
        return "ok", ()
    return "ok", values if isinstance(values, tuple) else (values,)


@pytest.mark.parametrize("runtime", SANDBOX_RUNTIMES)
@pytest.mark.parametrize("code", SAME_ERRORS_AS_LUA + SAME_LOADS_AS_LUA_52)
def test_the_sandbox_s_wrappers_fail_as_lua_s_builtins(runtime: str, code: str) -> None:
    """Names, positions and messages of the builtins, not of the sandbox's wrappers
    (`coroutine_create`, a lost cell line, `string expected` from load)."""
    if code in SAME_LOADS_AS_LUA_52 and runtime in ("lua51", "luajit21"):
        plain_runtime = "lua52"  # their own load takes a reader only
    else:
        plain_runtime = runtime
    sandbox = SandboxState(runtime, 64 << 20, 10_000_000)
    plain = importlib.import_module(f"lupa.{plain_runtime}").LuaRuntime()
    got = _outcome(lambda: sandbox.run(code, "In[1]"))
    assert got == _outcome(lambda: plain.execute(code))
