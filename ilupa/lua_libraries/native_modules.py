"""C modules (`luaopen_*` in a shared object) bound to the runtime that loads them.

A C module calls the Lua C API, which in this process lives inside lupa's
runtime module, loaded privately (no symbol of it is global), and several
runtimes may be loaded at once (`%lua_reset lua51` after `lua54`), each with its
own `lua_pushnumber`. So `require 'lpeg'` cannot be left to the dynamic linker's
global lookup: it finds no `lua_*` at all ("undefined symbol: lua_checkstack"),
and a global one would be the wrong runtime's for every other runtime.

Binding a module for a runtime:
1. its file is checked: an ELF object of this machine's kind, whose Lua API
   imports all exist in the runtime and belong to its API family (a module
   built for Lua 5.1 calls `lua_objlen`; one built for 5.2+ calls `lua_callk`),
   and whose path names no other Lua version (`.../lua/5.3/x.so` in Lua 5.4);
2. it is copied to a private folder of this process, one copy per runtime, so
   each runtime has its own instance of the module (its static state too);
3. a linker stub (`ilupa/lua_libraries/elf.py`) that depends on the runtime
   module and then on the copy is loaded: the linker resolves the copy's
   imports in the stub's dependencies, which hold exactly one Lua: this
   runtime's. Nothing is made global.
Lua's own `package.loadlib` then opens the copy (already loaded, so the same
instance) and takes its `luaopen_*` function as Lua always does. Details and
the experiment behind the choice: docs/lua-libraries.md.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import re
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from ilupa.lua_libraries.elf import (
    NotAnElfObject,
    elf_kind_of,
    imported_symbols,
    write_linker_stub,
)
from ilupa.lua_libraries.search_paths import LUA_VERSIONS

# Functions of the 5.1 API that Lua 5.2 and later no longer have (macros or gone),
# and functions only Lua 5.2 and later have (LuaJIT 2.1 has a few 5.2 additions:
# lua_tonumberx, luaL_setfuncs, lua_isyieldable, lua_version, ... so they are not listed).
ONLY_IN_5_1 = frozenset(
    [
        "lua_objlen",
        "lua_setfenv",
        "lua_getfenv",
        "luaL_register",
        "luaL_openlib",
        "lua_equal",
        "lua_lessthan",
        "luaL_typerror",
        "lua_cpcall",
        "lua_call",
        "lua_pcall",
        "lua_tonumber",
        "lua_tointeger",
    ]
)
ONLY_IN_5_2_AND_LATER = frozenset(
    [
        "lua_callk",
        "lua_pcallk",
        "lua_getglobal",
        "lua_setglobal",
        "lua_rawlen",
        "lua_compare",
        "lua_arith",
        "lua_len",
        "luaL_checkversion_",
        "lua_rawgetp",
        "lua_rawsetp",
        "lua_getuservalue",
        "lua_setuservalue",
        "lua_rotate",
        "lua_geti",
        "lua_seti",
        "lua_newuserdatauv",
        "lua_toclose",
        "lua_closeslot",
        "lua_resetthread",
        "lua_getiuservalue",
        "lua_setiuservalue",
        "lua_stringtonumber",
    ]
)
API_PREFIXES = ("lua_", "luaL_")
VERSION_IN_PATH = re.compile(r"(?:/|lua)(5\.[1-9])(?=[/.-]|$)")


class NativeModuleRefused(Exception):
    """A C module that cannot be bound to the live runtime, and why (shown in Lua's error)."""


@dataclass(frozen=True)
class _Bound:
    copy: str
    stub_handle: ctypes.CDLL  # kept: the copy stays loaded for the life of the process


_lock = threading.Lock()
_bound: dict[tuple[str, str, int, int], _Bound] = {}


@cache
def _private_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="ilupa-c-modules-"))
    atexit.register(shutil.rmtree, folder, True)  # loaded copies stay mapped after unlink
    return folder


class NativeModules:
    """Binds C modules for one runtime; shared by every state of that runtime in the process."""

    def __init__(self, runtime: str, module: ModuleType) -> None:
        self.runtime = runtime
        self.lua_version = LUA_VERSIONS[runtime]
        self.runtime_file = str(Path(module.__file__ or "").resolve())

    def bind(self, path: str) -> tuple[str | None, str | None]:
        """The file Lua's `package.loadlib` should open for `path`, or a refusal.

        Returns ``(copy, None)`` for a bound module, ``(path, None)`` for a
        file this cannot read as a shared object (Lua's own loading then
        reports what is wrong with it, as it would anywhere), and ``(None,
        why)`` for a module that must not be loaded into this runtime.
        """
        try:
            return self._bind(path), None
        except NativeModuleRefused as refusal:
            return None, str(refusal)
        except (OSError, NotAnElfObject):
            return path, None

    def _bind(self, path: str) -> str:
        source = Path(path).resolve()
        status = source.stat()  # OSError: Lua's own loading reports the file as it would
        self._check_path_version(path)
        key = (self.runtime, str(source), status.st_mtime_ns, status.st_size)
        with _lock:
            bound = _bound.get(key)
            if bound is None:
                bound = self._bound_copy(source)
                _bound[key] = bound
        return bound.copy

    def _bound_copy(self, source: Path) -> _Bound:
        if sys.platform != "linux":
            raise NativeModuleRefused(
                f"ilupa binds C modules to lupa's runtime on Linux only; here ({sys.platform}) "
                "use pure-Lua modules"
            )
        if elf_kind_of(source) != elf_kind_of(Path(self.runtime_file)):
            raise NativeModuleRefused(f"{source} is built for another kind of machine")
        self._check_api(source)
        folder = _private_folder() / self.runtime / str(len(_bound))
        folder.mkdir(parents=True)
        copy = folder / source.name
        shutil.copyfile(source, copy)
        stub = folder / "bind-to-runtime.so"
        write_linker_stub(stub, [self.runtime_file, str(copy)], Path(self.runtime_file))
        try:
            handle = ctypes.CDLL(str(stub), mode=os.RTLD_NOW | os.RTLD_LOCAL)
        except OSError as error:
            message = str(error).replace(str(copy), str(source)).replace(f"{stub}: ", "")
            raise NativeModuleRefused(f"{message} ({self._advice()})") from None
        return _Bound(str(copy), handle)

    def _check_api(self, source: Path) -> None:
        self._check_path_version(str(source))
        imports = {name for name in imported_symbols(source) if name.startswith(API_PREFIXES)}
        is_51 = self.lua_version == "5.1"
        wrong_family = imports & (ONLY_IN_5_2_AND_LATER if is_51 else ONLY_IN_5_1)
        if wrong_family:
            family = "5.2 or later" if is_51 else "5.1"
            raise NativeModuleRefused(
                f"the module is built for Lua {family} (it calls {min(wrong_family)}), and the "
                f"live runtime is {self._runtime_text()} ({self._advice()})"
            )
        library = ctypes.CDLL(self.runtime_file)  # lupa's own, already loaded
        missing = sorted(name for name in imports if not hasattr(library, name))
        if missing:
            raise NativeModuleRefused(
                f"the module calls {', '.join(missing[:3])}, which {self._runtime_text()} does "
                f"not have: it is built for another Lua version ({self._advice()})"
            )

    def _check_path_version(self, path: str) -> None:
        """Refuse a file whose path names another Lua version (`.../lua/5.3/x.so`)."""
        found = VERSION_IN_PATH.findall(path)
        if found and found[-1] != self.lua_version:
            raise NativeModuleRefused(
                f"the module is built for Lua {found[-1]} (its path says so), and the live "
                f"runtime is {self._runtime_text()} ({self._advice()})"
            )

    def _runtime_text(self) -> str:
        return f"Lua {self.lua_version} (runtime {self.runtime})"

    def _advice(self) -> str:
        return (
            f"install the module for Lua {self.lua_version}, e.g. "
            f"`%lua_rocks install NAME`, or switch runtime with %lua_reset"
        )
