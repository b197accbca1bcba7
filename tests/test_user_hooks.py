"""A hook set by user code sees what it sees in plain lupa: the user's code, not ilupa's layer.

Differential: the same chunk records its own line and call events with
`debug.sethook`, once in plain lupa and once as a cell, on each runtime, and
the records must be equal. The chunks are generated (hypothesis) from the
shapes where ilupa puts something of its own: loops (LuaJIT's loop checks),
pairs and ipairs (their wrappers where the runtime lacks the metamethods),
tostring and string.format (LuaJIT's C-stack guard), calls of Lua functions.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ilupa.runtimes import available_runtimes, load_runtime_module
from ilupa.session import LuaSession

RUNTIMES = [
    r for r in ("lua54", "lua53", "luajit21", "luajit20", "lua51") if r in available_runtimes()
]
IPAIRS_LOOP = "for i, v in ipairs({5, 6, 7}) do\n  n = n + v\nend"

RECORDER = r"""
local events = {}
local function record(event, line) events[#events + 1] = event .. ":" .. tostring(line) end
local load = loadstring or load
local chunk = assert(load(%s))
debug.sethook(record, "l")
chunk()
debug.sethook()
return table.concat(events, " ")
"""

STATEMENTS = st.sampled_from(
    [
        "for k, v in pairs({1, 2, x = 3}) do n = n + 1 end",
        IPAIRS_LOOP,
        "for i = 1, 3 do\n  n = n + i\nend",
        "while n < 20 do n = n + 7 end",
        "local s = tostring(n) .. string.format('%d', n)",
        "local function f(x)\n  return x + 1\nend\nn = f(n)",
        "repeat\n  n = n - 1\nuntil n < 5",
        "do local t = {} t[1] = n end",
    ]
)


def plain_and_cell(runtime: str, code: str) -> tuple[object, object]:
    plain = load_runtime_module(runtime).LuaRuntime().execute(code)
    cell = LuaSession(runtime, {}).run(code, "In[1]")
    return plain, cell[0] if len(cell) == 1 else cell


@pytest.mark.parametrize("runtime", RUNTIMES)
@settings(max_examples=30, deadline=None)
@given(body=st.lists(STATEMENTS, min_size=1, max_size=4))
def test_a_line_hook_sees_the_lines_plain_lupa_sees(runtime: str, body: list[str]) -> None:
    if runtime in ("lua53", "lua54"):
        # Known difference (docs/architecture.md): Lua 5.3 and 5.4 have no __ipairs, so
        # ipairs stays ilupa's Lua function there (Python sequences from 0), and a
        # user's line hook, which is Lua's own on 5.2+, sees its lines.
        assume(IPAIRS_LOOP not in body)
    chunk = "n = 0\n" + "\n".join(body)
    plain, cell = plain_and_cell(runtime, RECORDER % repr(chunk).replace("\\n", "\\n"))
    assert cell == plain


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_gethook_shows_the_user_s_hook_and_no_hook_as_lua_does(runtime: str) -> None:
    code = """
    local before = {debug.gethook()}
    local function f() end
    debug.sethook(f, "lc", 7)
    local during = {debug.gethook()}
    debug.sethook()
    local after = {debug.gethook()}
    return #before, before[1] == nil, during[1] == f, during[2], during[3], #after, after[1] == nil
    """
    plain, cell = plain_and_cell(runtime, code)
    assert cell == plain


@pytest.mark.parametrize("runtime", [r for r in RUNTIMES if r != "lua51"])
def test_inside_a_hook_level_2_is_the_hooked_function(runtime: str) -> None:
    """(Lua 5.1 reports a tail call there: the hook's dispatcher hands over by one.)"""
    code = """
    local seen = {}
    local function user_function() local a = 1 return a end
    debug.sethook(function(event)
      local info = debug.getinfo(2, "f")
      if info and info.func == user_function then seen[#seen + 1] = event end
    end, "l")
    user_function()
    debug.sethook()
    return table.concat(seen, ",")
    """
    plain, cell = plain_and_cell(runtime, code)
    assert cell == plain and "line" in cell


@pytest.mark.parametrize("runtime", ["lua54"] if "lua54" in RUNTIMES else [])
def test_a_hook_on_lua_5_4_is_lua_s_own(runtime: str) -> None:
    code = """
    local namewhat
    debug.sethook(function() namewhat = debug.getinfo(1, "n").namewhat end, "", 1)
    local x = 1
    debug.sethook()
    return namewhat
    """
    plain, cell = plain_and_cell(runtime, code)
    assert cell == plain == "hook"


@pytest.mark.parametrize("runtime", [r for r in ("luajit21", "lua51") if r in RUNTIMES])
def test_the_stop_button_still_stops_a_loop_under_a_user_s_line_hook(runtime: str) -> None:
    """On Lua 5.1 and LuaJIT the interrupt's count hook goes on under the user's."""
    import signal
    import threading

    session = LuaSession(runtime, {})
    timer = threading.Timer(0.5, signal.raise_signal, (signal.SIGINT,))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            session.run(
                "local lines = 0\n"
                "debug.sethook(function() lines = lines + 1 end, 'l')\n"
                "local function spin(n) if n > 0 then return spin(n - 1) + 1 end return 0 end\n"
                "while true do spin(10) end",
                "In[1]",
            )
    finally:
        timer.cancel()
    assert session.run("return 1 + 1", "In[2]") == (2,)
