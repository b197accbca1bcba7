"""Where a Lua cell's time goes: `%%lua --profile`, `%lua --profile EXPR`, `%lua_profile`.

`sampling` starts and stops ilupa/profiler/profiler.lua around one cell run;
`report` turns its samples into the table a notebook or a terminal shows.
"""

from ilupa.lua_layer import LuaFile
from ilupa.profiler.report import Profile, ProfileRow, TraceAbort
from ilupa.profiler.sampling import Sampler

LUA_FILES: tuple[LuaFile, ...] = (
    LuaFile(
        "profiler",
        __name__,
        None,
        "profiler/sampling.py",
        "%%lua --profile: after user_hooks (its debug.sethook), when first asked",
    ),
)

__all__ = ["Profile", "ProfileRow", "Sampler", "TraceAbort"]
