"""Where a Lua cell's time goes: `%%lua --profile`, `%lua --profile EXPR`, `%lua_profile`.

`sampling` starts and stops ilupa/lua/profiler.lua around one cell run;
`report` turns its samples into the table a notebook or a terminal shows.
"""

from ilupa.profiler.report import Profile, ProfileRow, TraceAbort
from ilupa.profiler.sampling import Sampler

__all__ = ["Profile", "ProfileRow", "Sampler", "TraceAbort"]
