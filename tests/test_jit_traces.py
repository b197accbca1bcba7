"""ilupa's Lua layer leaves a cell's loops compilable by LuaJIT 2.1's trace compiler.

LuaJIT counts every tail call recorded in one trace, also of built-in
functions, against its loop-unroll limit (15): past it, the trace aborts, and a
loop that aborts every time runs interpreted, 10-100x slower. ilupa's fast
paths (references, the C-stack guard's wrappers) therefore make no tail calls.
Each test records the trace compiler's events around a cell loop.
"""

from __future__ import annotations

from IPython.core.interactiveshell import InteractiveShell

from tests.conftest import run

ATTEMPTS = 3
LOOP_TRACES = """%%lua {options}
local util = require("jit.util")
loops = {{}}
jit.attach(function(what, trace, func, pc)
  if what == "stop" and util.traceinfo(trace).linktype == "loop" then
    loops[#loops + 1] = util.funcinfo(func, pc).source
  end
end, "trace")
local s = 0
for i = 0, {count} - 1 do
{body}
end
jit.attach(function() end)
"""


def loop_compiled(shell: InteractiveShell, body: str, count: int, options: str = "") -> bool:
    """Whether a loop trace starting in the cell's own chunk was compiled.

    A trace can abort for reasons outside the loop (a GC step or a hook of the
    memory watch during recording, on a loaded machine), so the cell gets three
    runs: a loop that cannot compile fails all three.
    """
    cell = LOOP_TRACES.format(options=f"{options} -o loops".strip(), count=count, body=body)
    for _ in range(ATTEMPTS):
        run(shell, cell).raise_error()
        if "In[" in " ".join(shell.user_ns["loops"].values()):
            return True
    return False


def test_a_loop_over_references_compiles(shell: InteractiveShell) -> None:
    """The seed loop's body: six accesses to Python data through the FFI fast path."""
    run(shell, "%lua_reset luajit21").raise_error()
    names = ("alice", "bob", "anna")
    shell.user_ns["recs"] = [
        {"id": i, "name": names[i % 3], "score": 0.5, "tags": ["t"] * (i % 4)} for i in range(5000)
    ]
    body = """  local r = recs[i]
  s = s + r.id + r.score + #r.tags
  if r.name:sub(1, 1) == "a" then s = s + 1 end"""
    assert loop_compiled(shell, body, count=5000, options="-i recs")


def test_a_loop_calling_guarded_functions_compiles(shell: InteractiveShell) -> None:
    """tostring and string.format are wrapped by the C-stack guard; 20 calls of them
    in one loop body (a tail call or two each before) compile, as in plain lupa.
    (string.gsub is not compiled by LuaJIT at all.)"""
    run(shell, "%lua_reset luajit21").raise_error()
    calls = [f"s = s + #tostring(i + {k})" for k in range(10)]
    calls += [f"s = s + #string.format('%d', i + {k})" for k in range(10)]
    assert loop_compiled(shell, "  " + "\n  ".join(calls), count=3000)
