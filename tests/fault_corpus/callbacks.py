"""Lua run outside a cell: functions Python calls, callbacks, display, nested cells, reports.

Every call into Lua runs as a cell run (ilupa/cell_run.py). These entries are the
ways in that used to skip it: out of memory in a Lua function called from Python
(aborted the process, or left every later cell failing), the same called back from
Python code that a cell called (deadlocked on the GIL), a widget observer that keeps
what it collects, hangs the stop button could not end (a value's looping
`__tostring` while shown, `f()` in a Python cell, a Python thread running Lua, a
nested cell that disarmed the outer one), and a largest-tables report that ran a
key's `__tostring`.
"""

from __future__ import annotations

from ilupa.runtimes import available_runtimes
from tests.fault_corpus import PYTHON, Entry, Group, fails, gives, python, raw

BUDGET = raw("budget", "%config LuaMagics.memory_limit = '64MB'")
LUA_FUNCTIONS = Entry(
    "lua-functions",
    "function fill() big = {} for i = 1, 1e8 do big[i] = {i} end end\n"
    "function echo(x) return x end\n"
    "function spin() local n = 0 while true do n = n + 1 end end",
)
PYTHON_HELPERS = python("helpers", "def call_lua(f, *args):\n    return f(*args)\n")
OUT_OF_MEMORY = "Lua ran out of memory"
INTERRUPTED = "KeyboardInterrupt"

OBSERVER = """\
%lua kept_by_observer = {}
%lua grow_slider = widgets.IntSlider{max = 1000}
%lua grow_slider:observe(function(c) for i = 1, 2e5 do kept_by_observer[#kept_by_observer + 1] = {i} end end, 'value')
grow_slider = %lua grow_slider
from ilupa.display.widgets import last_callback_output
def reported():
    return [o['text'] for o in last_callback_output().outputs if o.get('name') == 'stderr']
for value in range(1, 60):
    grow_slider.value = value
    if reported():
        break
%lua kept_by_observer = nil
print(reported()[-1] if reported() else 'no error reported')
"""

MEMORY_ENTRIES = (
    Entry(
        "oom-in-a-lua-function-called-from-python",
        "f = %lua fill\nf()",
        error=OUT_OF_MEMORY,
        language=PYTHON,
    ),
    python("the-next-call-works", "e = %lua echo\ne('a new string ' * 20)", shows="a new string"),
    gives("the-failed-call-dropped-its-global", "return big == nil", "True"),
    fails("oom-in-lua-that-python-called-from-lua", "py.call_lua(fill)", OUT_OF_MEMORY),
    gives(
        "cells-work-after-it", "local t = {}\nfor i = 1, 1000 do t[i] = i end\nreturn #t", "1000"
    ),
    python("observer-that-keeps-what-it-collects", OBSERVER, shows=OUT_OF_MEMORY),
    gives("cells-work-after-the-observer", "return 1 + 1", "2"),
)

REPORT_SETUP = (BUDGET, raw("low-warning-share", "%config LuaMagics.memory_warning = 0.05"))
KEYED = """\
local key = setmetatable({{}}, {{__tostring = function() {body} end}})
{name} = {{[key] = {{}}}}
for i = 1, 2e5 do {name}[key][i] = i end
return 'filled'
"""
REPORT_ENTRIES = (
    gives(
        "key-whose-tostring-errors", KEYED.format(name="errs", body="error('no name')"), "filled"
    ),
    gives("the-next-cell-is-fine", "errs = nil\nreturn 'dropped'", "dropped"),
    gives(
        "key-whose-tostring-loops", KEYED.format(name="loops", body="while true do end"), "filled"
    ),
    raw("lua-memory-lists-it", "%lua_memory", shows="loops[<table>]"),
    gives("dropped-again", "loops = nil\nreturn 'dropped'", "dropped"),
)

SPIN_THREAD = """\
import threading
thread_spin = %lua spin
def run_spin():
    try:
        thread_spin()
    except KeyboardInterrupt:
        pass
spin_thread = threading.Thread(target=run_spin, daemon=True)
spin_thread.start()
import time
time.sleep(0.2)
%lua 1 + 1
"""


def stopped(name: str, code: str, language: str = "lua") -> Entry:
    return Entry(name, code, error=INTERRUPTED, interrupt=True, language=language)


INTERRUPT_ENTRIES = (
    stopped(
        "value-whose-tostring-loops-while-shown",
        "setmetatable({}, {__tostring = function() while true do end end})",
    ),
    stopped("lua-function-called-from-python", "f_spin = %lua spin\nf_spin()", language=PYTHON),
    # The cell waits for the thread's Lua; the stop button ends that, and the cell goes on.
    Entry(
        "lua-cell-after-a-python-thread-running-lua",
        SPIN_THREAD,
        shows="2",
        interrupt=True,
        language=PYTHON,
    ),
    python("the-thread-was-stopped", "spin_thread.join(10)\nspin_thread.is_alive()", shows="False"),
    stopped(
        "loop-after-a-nested-cell",
        "py.get_ipython().run_cell_magic('lua', '', 'nested_global = 1')\nwhile true do end",
    ),
    gives("the-nested-cell-ran", "return nested_global", "1"),
    stopped(
        "loop-in-a-nested-cell", "py.get_ipython().run_cell_magic('lua', '', 'while true do end')"
    ),
)

BUDGET_RUNTIMES = [r for r in available_runtimes() if r != "luajit20"]

GROUPS = (
    *(
        Group(
            f"callbacks-memory-{runtime}",
            MEMORY_ENTRIES,
            kernels=("ilupa",),
            runtime=runtime,
            setup=(BUDGET, LUA_FUNCTIONS, PYTHON_HELPERS),
        )
        for runtime in BUDGET_RUNTIMES
    ),
    *(
        Group(
            f"callbacks-report-{runtime}",
            REPORT_ENTRIES,
            kernels=("ilupa",),
            runtime=runtime,
            setup=REPORT_SETUP,
        )
        for runtime in ("lua54", "luajit21")
    ),
    *(
        Group(
            f"callbacks-interrupt-{runtime}",
            INTERRUPT_ENTRIES,
            kernels=("ilupa", "python") if runtime == "luajit21" else ("ilupa",),
            runtime=runtime,
            setup=(LUA_FUNCTIONS, PYTHON_HELPERS),
        )
        for runtime in available_runtimes()
    ),
)
