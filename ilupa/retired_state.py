"""A Lua state that `%lua_reset` replaced: its functions fail clearly instead of running unwatched.

See ilupa/retired_state.lua for why: nothing of ilupa guards that state
any more (interrupt, memory budget, LuaJIT 2.0's heap guard), and on LuaJIT
2.0 a call into it could fill the heap window the new state shares and abort
the process.
"""

from __future__ import annotations

from typing import Any

from ilupa.lua_layer import load_lua_file

RETIRED_MESSAGE = (
    "this Lua function belongs to a Lua state that %lua_reset (or a runtime change) "
    "replaced; get it again from the new state (for example `f = %lua fill`)"
)


def retire_state(lua: Any) -> None:
    """Make every Lua function of `lua` fail with `RETIRED_MESSAGE` from now on."""
    load_lua_file(lua, "retired_state", message=RETIRED_MESSAGE)
