"""Where `require` looks: the trees a standalone interpreter of the same Lua version searches.

lupa's states search only the defaults compiled into lupa (under /usr/local,
and `./`). A user who installed Penlight with their system's package manager
or a rock with LuaRocks expects `require` to find it, as their own `lua5.4` or
`luajit` does. ilupa sets `package.path` and `package.cpath` of every state to,
in this order:

1. `LUA_PATH_5_x` / `LUA_PATH` (and the `CPATH` pair) when set, read as Lua
   itself reads them: `;;` stands for the default below (LuaJIT reads only the
   unversioned names);
2. the default: the user's LuaRocks tree (`~/.luarocks`), the runtime's own
   compiled-in tree (`/usr/local`, also LuaRocks' system tree), the
   distribution's Lua directories that exist here (Debian's shared and
   multiarch directories, and those of other systems), then the notebook's
   folder (`./`).

LuaJIT uses the 5.1 trees, as its own interpreter does. `%lua_path` shows each
entry and where it came from (`SearchPaths.describe`).
"""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

LUA_VERSIONS = {
    "lua51": "5.1",
    "lua52": "5.2",
    "lua53": "5.3",
    "lua54": "5.4",
    "lua55": "5.5",
    "luajit20": "5.1",
    "luajit21": "5.1",
}

FROM_ENVIRONMENT = "environment"
USER_ROCKS = "user LuaRocks tree"
BUILT_IN = "built into the runtime (LuaRocks' system tree)"
DISTRIBUTION = "distribution"
NOTEBOOK_FOLDER = "notebook folder"
SET_IN_LUA = "set in Lua"


@dataclass(frozen=True)
class PathEntry:
    """One template of a search path (`/usr/share/lua/5.4/?.lua`) and where it came from."""

    template: str
    origin: str


@dataclass(frozen=True)
class SearchPaths:
    """`package.path` and `package.cpath` for one runtime, entry by entry."""

    runtime: str
    lua_version: str
    path: tuple[PathEntry, ...]
    cpath: tuple[PathEntry, ...]

    @property
    def package_path(self) -> str:
        return ";".join(entry.template for entry in self.path)

    @property
    def package_cpath(self) -> str:
        return ";".join(entry.template for entry in self.cpath)

    def describe(self, live_path: str, live_cpath: str) -> str:
        """A table of the live paths, each entry labelled with where it came from."""
        lines = []
        for title, live, entries in (
            ("package.path", live_path, self.path),
            ("package.cpath", live_cpath, self.cpath),
        ):
            origins = {entry.template: entry.origin for entry in entries}
            lines.append(
                f"{title} of {self.runtime} (Lua {self.lua_version} trees), in the order searched:"
            )
            for template in (part for part in live.split(";") if part):
                lines.append(f"  {template:<48} {origins.get(template, SET_IN_LUA)}")
        return "\n".join(lines)


def user_rocks_tree() -> Path:
    """The user's LuaRocks tree, where `luarocks --local` and `%lua_rocks` install."""
    return Path(os.path.expanduser("~")) / ".luarocks"


def search_paths_for(
    runtime: str,
    built_in_path: str,
    built_in_cpath: str,
    environment: Mapping[str, str] | None = None,
) -> SearchPaths:
    """The search paths of `runtime`, given the paths lupa compiled into it."""
    environment = os.environ if environment is None else environment
    version = LUA_VERSIONS[runtime]
    default_path, default_cpath = _default_entries(version, built_in_path, built_in_cpath)
    names = _environment_names(runtime, version)
    return SearchPaths(
        runtime,
        version,
        _from_environment(environment, names["path"], default_path, version),
        _from_environment(environment, names["cpath"], default_cpath, version),
    )


def _default_entries(
    version: str, built_in_path: str, built_in_cpath: str
) -> tuple[list[PathEntry], list[PathEntry]]:
    user = user_rocks_tree()
    path = [
        PathEntry(f"{user}/share/lua/{version}/?.lua", USER_ROCKS),
        PathEntry(f"{user}/share/lua/{version}/?/init.lua", USER_ROCKS),
    ]
    cpath = [PathEntry(f"{user}/lib/lua/{version}/?.so", USER_ROCKS)]
    local_path = [t for t in built_in_path.split(";") if t and not t.startswith("./")]
    local_cpath = [t for t in built_in_cpath.split(";") if t and not t.startswith("./")]
    path += [PathEntry(template, BUILT_IN) for template in local_path]
    cpath += [PathEntry(template, BUILT_IN) for template in local_cpath]
    lua_dirs, c_dirs = distribution_directories(version)
    path += [
        PathEntry(f"{directory}/{pattern}", DISTRIBUTION)
        for directory in lua_dirs
        for pattern in ("?.lua", "?/init.lua")
    ]
    cpath += [PathEntry(f"{directory}/?.so", DISTRIBUTION) for directory in c_dirs]
    path += [PathEntry("./?.lua", NOTEBOOK_FOLDER), PathEntry("./?/init.lua", NOTEBOOK_FOLDER)]
    cpath += [PathEntry("./?.so", NOTEBOOK_FOLDER)]
    return _unique(path), _unique(cpath)


def distribution_directories(version: str) -> tuple[list[str], list[str]]:
    """The system's own Lua directories of `version` that exist here: pure Lua, then C.

    Debian and Ubuntu put pure-Lua modules in /usr/share/lua/V and C modules in
    /usr/lib/<multiarch>/lua/V; Fedora uses /usr/lib64/lua/V, Arch /usr/lib/lua/V,
    Homebrew /opt/homebrew. Only directories that exist are listed, so a
    `require` that fails names no folder that cannot exist.
    """
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    lua_candidates = ["/usr/share/lua", "/opt/homebrew/share/lua"]
    c_candidates = [f"/usr/lib/{multiarch}/lua" if multiarch else "", "/usr/lib64/lua"]
    c_candidates += ["/usr/lib/lua", "/opt/homebrew/lib/lua"]
    return (
        [f"{base}/{version}" for base in lua_candidates if Path(base, version).is_dir()],
        [f"{base}/{version}" for base in c_candidates if base and Path(base, version).is_dir()],
    )


def _environment_names(runtime: str, version: str) -> dict[str, list[str]]:
    """The variables Lua reads, most specific first (LuaJIT reads no versioned name)."""
    suffix = (
        "" if runtime.startswith("luajit") or version == "5.1" else "_" + version.replace(".", "_")
    )
    return {
        kind: ([f"LUA_{kind.upper()}{suffix}"] if suffix else []) + [f"LUA_{kind.upper()}"]
        for kind in ("path", "cpath")
    }


def _from_environment(
    environment: Mapping[str, str], names: list[str], default: list[PathEntry], version: str
) -> tuple[PathEntry, ...]:
    """The entries Lua makes of the first set variable of `names`, or `default`.

    As Lua does: Lua 5.4 and later put the default in place of the first `;;`;
    older versions put it in place of every `;;`.
    """
    value = next((environment[name] for name in names if name in environment), None)
    if value is None:
        return tuple(default)
    origin = f"{FROM_ENVIRONMENT} ({next(n for n in names if n in environment)})"
    default_text = ";".join(entry.template for entry in default)
    if version in ("5.4", "5.5"):
        head, mark, tail = value.partition(";;")
        text = ";".join(part for part in (head, default_text, tail) if part) if mark else value
    else:
        text = value.replace(";;", ";\x01;").replace("\x01", default_text)
    origins = {entry.template: entry.origin for entry in default}
    return tuple(
        PathEntry(template, origins.get(template, origin))
        for template in text.split(";")
        if template
    )


def _unique(entries: Iterable[PathEntry]) -> list[PathEntry]:
    seen: set[str] = set()
    kept = []
    for entry in entries:
        if entry.template not in seen:
            seen.add(entry.template)
            kept.append(entry)
    return kept
