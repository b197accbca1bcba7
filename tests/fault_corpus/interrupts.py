"""Infinite loops stopped by the kernel manager's interrupt (SIGINT)."""

from __future__ import annotations

from tests.fault_corpus import Entry, Group, python

HELPERS = python(
    "helpers",
    "import time\ndef call_lua(f, *args):\n    return f(*args)\n"
    "def spin():\n    while True:\n        pass\n",
)
INTERRUPTED = "KeyboardInterrupt"


def stopped(name: str, code: str, **options: object) -> Entry:
    return Entry(name, code, error=INTERRUPTED, interrupt=True, **options)  # type: ignore[arg-type]


ENTRIES = (
    stopped("while-true", "while true do end"),
    stopped("counting-loop", "loop_counter = 0\nwhile true do loop_counter = loop_counter + 1 end"),
    stopped("numeric-for-huge", "for i = 1, math.huge do end"),
    stopped("repeat-until-false", "local x = 0\nrepeat x = x + 1 until false"),
    stopped("pcall-swallowing", "while true do pcall(function() while true do end end) end"),
    stopped("goto-loop", "::top::\ngoto top"),
    stopped("tail-call-loop", "local function f() return f() end\nf()"),
    stopped("loop-in-coroutine", "coroutine.wrap(function() while true do end end)()"),
    stopped("loop-in-callback-from-python", "py.call_lua(function() while true do end end)"),
    stopped("python-loop-called-from-lua", "py.spin()"),
    stopped("python-sleep-called-from-lua", "py.time.sleep(60)"),
    stopped("gsub-callbacks", "while true do string.gsub('aaa', 'a', function() end) end"),
    stopped("table-churn", "while true do local t = {1, 2, 3} end"),
    stopped(
        "loop-after-xpcall", "xpcall(function() while true do end end, function(e) return e end)"
    ),
)

# Lua 5.2+ turns hooks off in finalizers and in a handler of the hook's own error.
HOOKS_OFF = (
    stopped(
        "loop-in-finalizer",
        "setmetatable({}, {__gc = function() while true do end end})\ncollectgarbage()",
    ),
    stopped(
        "loop-in-message-handler",
        "xpcall(function() while true do end end, function(e) while true do end end)",
    ),
)

# Lua 5.1 has no table finalizers: a userdata's (newproxy) runs with hooks off
# (on LuaJIT its loop check once met the refusal of a Python call, see loop_sampling.lua).
HOOKS_OFF_LUA51 = (
    stopped(
        "loop-in-userdata-finalizer",
        "local p = newproxy(true)\n"
        "getmetatable(p).__gc = function() while true do end end\n"
        "p = nil collectgarbage()",
    ),
    HOOKS_OFF[1],
)

GROUPS = (
    Group("interrupt-luajit21", ENTRIES, runtime="luajit21", setup=(HELPERS,)),
    Group("interrupt-lua54", ENTRIES, kernels=("ilupa",), runtime="lua54", setup=(HELPERS,)),
    Group("interrupt-hooks-off-lua54", HOOKS_OFF, kernels=("ilupa",), runtime="lua54"),
    Group("interrupt-hooks-off-lua51", HOOKS_OFF_LUA51, kernels=("ilupa",), runtime="lua51"),
    Group(
        "interrupt-finalizer-luajit20", HOOKS_OFF_LUA51[:1], kernels=("ilupa",), runtime="luajit20"
    ),
)
