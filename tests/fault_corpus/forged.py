"""Values Lua code can forge must not steer ilupa's C-level calls.

On Lua 5.2-5.5 the interrupt hooks Lua threads by address through the C API
(ilupa/interrupt/hooks.py). Addresses used to be read from `tostring(co)`, which a
cell can make say anything by giving threads a metatable; the interrupt then
called `lua_sethook` on that address and the kernel died. Addresses now come
from the thread itself (ilupa/interrupt/interrupt.lua). Array views hand Python no
address back: a forged view (a table with a view's metatable, or with the
fields of one) reaches only Python's bounds-checked numpy.
"""

from __future__ import annotations

from tests.fault_corpus import Entry, Group, gives, python

FORGE_THREAD_NAMES = gives(
    "forge-thread-names",
    "debug.setmetatable(coroutine.create(print), {\n"
    "  __tostring = function() return 'thread: 0x10' end, __name = 'thread'})\n"
    "return tostring(coroutine.create(print))",
    "0x10",
)
ARRAY = python("array", "import numpy as np\nforge_me = np.arange(4.0)")

ENTRIES = (
    FORGE_THREAD_NAMES,
    Entry(
        "interrupt-with-forged-thread-names",
        "coroutine.wrap(function() while true do end end)()",
        error="KeyboardInterrupt",
        interrupt=True,
    ),
    gives(
        "forged-view-table",
        "local mt = getmetatable(py.forge_me)\n"
        "local fake = setmetatable({array = 'no array', n = 2^40, offset = 2^40, stride = 1}, mt)\n"
        "local ok1 = pcall(function() fake[2^39] = 1 end)\n"
        "local ok2 = pcall(ilupa.totable, fake)\n"
        "return 'survived', ok1, ok2",
        "survived",
    ),
    gives(
        "view-still-checked",
        "local v = py.forge_me\nreturn pcall(function() v[4] = 1 end)",
        "False",
    ),
    gives("threads-work", "return coroutine.wrap(function() return 42 end)()", "42"),
)

GROUPS = tuple(
    Group(f"forged-{runtime}", ENTRIES, kernels=("ilupa",), runtime=runtime, setup=(ARRAY,))
    for runtime in ("lua52", "lua53", "lua54", "lua55", "luajit21")
)
