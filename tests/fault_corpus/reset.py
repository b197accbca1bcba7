"""Lua functions of an earlier state, kept in Python after `%lua_reset`.

Nothing of ilupa watches a replaced state (interrupt, memory budget, LuaJIT
2.0's heap guard). On LuaJIT 2.0, whose 1 GiB heap window every state of the
process shares, calling such a function after the new state took part of the
window aborted the process. Replaced states now refuse to run Lua functions,
with a message that says why (ilupa/retired_state.lua); their tables stay
readable.
"""

from __future__ import annotations

from tests.fault_corpus import Group, gives, python
from tests.fault_corpus.kernel import LUA_SETUP

RETIRED = "replaced"

ENTRIES = (
    gives(
        "define",
        "function fill() local t = {} for i = 1, 1e8 do t[i] = {i} end return t end\n"
        "old_table = {1, 2, 3}",
    ),
    python(
        "keep-them", "old_fill = %lua fill\nold_table = %lua old_table\nlen(old_table)", shows="3"
    ),
    # The known Lua globals go with the old state: the same cell defines them again.
    python(
        "reset",
        "get_ipython().run_line_magic('lua_reset', '')\n"
        f"get_ipython().run_cell_magic('lua', '', {LUA_SETUP!r})",
    ),
    gives(
        "new-state-takes-heap",
        "big = {}\nfor i = 1, 3e7 do big[i] = i end\nreturn #big",
        "30000000",
    ),
    python("call-old-function", "old_fill()", error=RETIRED),
    python("old-table-still-readable", "old_table[2]", shows="2"),
    gives("free-new-heap", "big = nil\ncollectgarbage()\nreturn big == nil", "True"),
)

GROUPS = tuple(
    Group(f"reset-{runtime}", ENTRIES, kernels=("python",), runtime=runtime)
    for runtime in ("luajit20", "luajit21", "lua54", "lua51")
)
