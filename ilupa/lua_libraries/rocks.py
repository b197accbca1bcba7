"""`%lua_rocks`: LuaRocks for the live runtime, installing where `require` already looks.

`%lua_rocks install lpeg` runs ``luarocks --lua-version V --tree ~/.luarocks
install lpeg``: the rock is built for the live runtime's Lua version (5.1 for
LuaJIT) into the user's tree, which every state's search path holds from the
start (search_paths.py), so the next `require` finds it without a restart.
Any luarocks command works the same way (`make ROCKSPEC`, `list`, `remove`).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys

from ilupa.lua_libraries.search_paths import LUA_VERSIONS, user_rocks_tree

NO_LUAROCKS = (
    "%lua_rocks needs LuaRocks (`luarocks` on PATH): e.g. `apt-get install luarocks` on "
    "Debian/Ubuntu; C rocks also need the Lua headers of the version (liblua5.x-dev)"
)


class RocksFailed(RuntimeError):
    """luarocks ended with an error; its output was shown above."""


def rocks_command(runtime: str, arguments: str) -> list[str]:
    """The luarocks command line for `arguments`, for `runtime`'s Lua version and the user tree."""
    luarocks = shutil.which("luarocks")
    if luarocks is None:
        raise RocksFailed(NO_LUAROCKS)
    return [
        luarocks,
        "--lua-version",
        LUA_VERSIONS[runtime],
        "--tree",
        str(user_rocks_tree()),
        *shlex.split(arguments),
    ]


def run_rocks(runtime: str, arguments: str) -> None:
    """Run luarocks, its output streamed to the cell (stdout and stderr in order, merged)."""
    command = rocks_command(runtime, arguments)
    print("$ luarocks " + shlex.join(command[1:]), flush=True)
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    ) as process:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                sys.stdout.write(line)
        except KeyboardInterrupt:
            process.terminate()
            raise
    if process.returncode != 0:
        raise RocksFailed(f"luarocks ended with status {process.returncode} (its output is above)")
