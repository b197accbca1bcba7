"""Completion of Lua code against the live Lua state.

Candidates come from what exists now: Lua keywords, globals, the fields of a
table after `.`, its functions after `:`, the attributes of a Python object
seen from Lua, and module names after `require`. Nothing of the cell is
run, and no user metamethod either: fields are read raw, following a
metatable's `__index` only when it is a table (an `__index` function that
loops would hang the kernel on Tab). `py.` lists the Python namespace.
"""

from __future__ import annotations

import os
import re
import weakref
from dataclasses import dataclass
from typing import Any

from ilupa.session import LuaSession

LUA_KEYWORDS: tuple[str, ...] = (
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto",
    "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true",
    "until", "while",
)  # fmt: skip
HIDDEN_PREFIX = "__ilupa"
MAX_INDEX_CHAIN = 8
NAME = r"[A-Za-z_][A-Za-z0-9_]*"
NAME_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
LOCAL_DECLARATION = re.compile(rf"\blocal\s+(?:function\s+)?({NAME}(?:\s*,\s*{NAME})*)")


RAW_READS = """
local rawget, rawequal, type, next = rawget, rawequal, type, next
local getmetatable = debug and debug.getmetatable or getmetatable
local getinfo = debug and debug.getinfo
local chain = ...

-- value[name] without running a metamethod: raw fields, then the metatable's
-- __index while it is a table (strings: the string library).
local function field(value, name)
  for _ = 1, chain do
    local kind = type(value)
    if kind == "table" then
      local found = rawget(value, name)
      if found ~= nil then return found end
    elseif kind ~= "userdata" and kind ~= "string" then
      return nil
    end
    local mt = getmetatable(value)
    if type(mt) ~= "table" then return nil end
    local index = rawget(mt, "__index")
    if type(index) ~= "table" then return nil end
    value = index
  end
  return nil
end

-- The __index table of a value's metatable, nil when there is none.
local function index_table(value)
  local mt = getmetatable(value)
  if type(mt) ~= "table" then return nil end
  local index = rawget(mt, "__index")
  if type(index) == "table" then return index end
  return nil
end

local function function_info(f)
  local info = getinfo(f, "S")
  return info.source, info.linedefined, info.lastlinedefined, info.what
end

return { field = field, index_table = index_table, rawequal = rawequal,
  function_info = function_info, globals = _G }
"""


class RawReads:
    """Reads of one Lua state that run no user code (Lua functions captured at start)."""

    def __init__(self, session: LuaSession) -> None:
        reads = session.lua.execute(RAW_READS, MAX_INDEX_CHAIN, name="=ilupa:raw_reads")
        self.field = reads.field
        self.index_table = reads.index_table
        self.rawequal = reads.rawequal
        self.function_info = reads.function_info
        self.globals = reads.globals


_raw_reads: weakref.WeakKeyDictionary[LuaSession, RawReads] = weakref.WeakKeyDictionary()


def raw_reads(session: LuaSession) -> RawReads:
    """The session's `RawReads`, made on first use."""
    reads = _raw_reads.get(session)
    if reads is None:
        reads = _raw_reads[session] = RawReads(session)
    return reads


@dataclass(frozen=True)
class Completions:
    """Candidates for the text between `cursor_start` and `cursor_end`."""

    matches: list[str]
    cursor_start: int
    cursor_end: int


def complete_lua(session: LuaSession, code: str, cursor_pos: int | None = None) -> Completions:
    """What may be typed at `cursor_pos` of the Lua `code`."""
    cursor = len(code) if cursor_pos is None else cursor_pos
    before = code[:cursor]
    if (prefix := require_argument(before)) is not None:
        return _matching(module_names(session), prefix, cursor)
    if found := member_access(before):
        chain, separator, prefix = found
        target = resolve(session, chain)
        names = member_names(session, target, methods_only=separator == ":")
        return _matching(names, prefix, cursor)
    prefix = partial_name(before)
    if not prefix:
        return Completions([], cursor, cursor)
    names = set(LUA_KEYWORDS) | set(global_names(session)) | set(local_names(before))
    return _matching(names, prefix, cursor)


# What is read before the cursor is read backwards from it, one character at a time:
# a regular expression anchored at the end (`...$`) searched over the text tries
# every start, and over a long run of name characters (an identifier, a string or
# comment of letters, on any earlier line) each try reads to the run's end, which
# made Tab quadratic in the run (20 KB: 17 s, the kernel answering nothing).


def _name_start(text: str, end: int) -> int:
    """Where the Lua name ending at `end` starts (`end` when there is none).

    The run of name characters before `end`, less leading digits (`12abc` ends in
    the name `abc`), as the leftmost match of `[A-Za-z_][A-Za-z0-9_]*` ending there.
    """
    start = end
    while start > 0 and text[start - 1] in NAME_CHARACTERS:
        start -= 1
    while start < end and text[start].isdigit():
        start += 1
    return start


def _space_start(text: str, end: int) -> int:
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return end


def partial_name(before: str) -> str:
    """The Lua name the text before the cursor ends in ("" when none)."""
    return before[_name_start(before, len(before)) :]


def member_access(before: str) -> tuple[str, str, str] | None:
    """(`a.b`, `.` or `:`, prefix) when the text ends in `a . b : pre`, else None.

    The longest dotted chain before the separator, spaces allowed around dots.
    """
    prefix_start = _name_start(before, len(before))
    separator_end = _space_start(before, prefix_start)
    if separator_end == 0 or before[separator_end - 1] not in ".:":
        return None
    separator = before[separator_end - 1]
    end = _space_start(before, separator_end - 1)
    start = _name_start(before, end)
    if start == end:
        return None
    chain_start = start
    while True:  # earlier `name .` links, as long as they hold
        dot = _space_start(before, chain_start)
        if dot == 0 or before[dot - 1] != ".":
            break
        link_end = _space_start(before, dot - 1)
        link_start = _name_start(before, link_end)
        if link_start == link_end:
            break
        chain_start = link_start
    chain = before[chain_start:end]
    return chain, separator, before[prefix_start:]


def require_argument(before: str) -> str | None:
    """The module name typed so far in `require "na` / `require('na`, else None."""
    start = len(before)
    while start > 0 and (
        before[start - 1] in ".-" or before[start - 1].isalnum() or before[start - 1] == "_"
    ):
        start -= 1
    if start == 0 or before[start - 1] not in "\"'":
        return None
    end = _space_start(before, start - 1)
    if end > 0 and before[end - 1] == "(":
        end = _space_start(before, end - 1)
    word = "require"
    if not before.endswith(word, 0, end):
        return None
    word_start = end - len(word)
    if word_start > 0 and (before[word_start - 1].isalnum() or before[word_start - 1] == "_"):
        return None
    return before[start:]


def _matching(names: Any, prefix: str, cursor: int) -> Completions:
    found = sorted(
        n for n in set(names) if n.startswith(prefix) and not n.startswith(HIDDEN_PREFIX)
    )
    return Completions(found, cursor - len(prefix), cursor)


def global_names(session: LuaSession) -> list[str]:
    """The string keys of Lua's global table."""
    return [key for key in session.globals if isinstance(key, str)]


def local_names(code: str) -> list[str]:
    """Names the cell declares `local` before the cursor."""
    names: list[str] = []
    for match in LOCAL_DECLARATION.finditer(code):
        names.extend(name.strip() for name in match.group(1).split(","))
    return names


def resolve(session: LuaSession, chain: str) -> Any:
    """The value a dotted Lua name refers to now (read raw), or None when a step is missing."""
    parts = [part.strip() for part in chain.split(".")]
    value: Any = session.globals
    for part in parts:
        value = _field(session, value, part)
        if value is None:
            return None
    return value


def _field(session: LuaSession, value: Any, name: str) -> Any:
    reads = raw_reads(session)
    if _lua_type(session, value) in ("table", "userdata"):
        if reads.rawequal(value, reads.field(reads.globals, "py")):
            return session.namespace.get(name)
        return reads.field(value, name)
    if isinstance(value, str):
        return reads.field(reads.field(reads.globals, "string"), name)
    if _lua_type(session, value) is None:
        return getattr(value, name, None)
    return None


def member_names(session: LuaSession, target: Any, *, methods_only: bool) -> list[str]:
    """Fields of a table (with its `__index` table), or attributes of a Python object."""
    if target is None:
        return []
    if isinstance(target, str):
        reads = raw_reads(session)
        target = reads.field(reads.globals, "string")
    kind = _lua_type(session, target)
    if kind == "table":
        return [
            name
            for name, value in _table_fields(session, target)
            if not methods_only or _lua_type(session, value) == "function"
        ]
    if kind is None:
        names = [n for n in dir(target) if not n.startswith("_")]
        if methods_only:
            names = [n for n in names if callable(getattr(target, n, None))]
        return names
    return []


def _table_fields(session: LuaSession, table: Any) -> list[tuple[str, Any]]:
    reads = raw_reads(session)
    if reads.rawequal(table, reads.field(reads.globals, "py")):
        return [(name, session.namespace.get(name)) for name in session.namespace]
    fields: list[tuple[str, Any]] = []
    for _ in range(MAX_INDEX_CHAIN):
        if _lua_type(session, table) != "table":
            break
        fields.extend((k, v) for k, v in table.items() if isinstance(k, str))  # raw `next`
        table = reads.index_table(table)
    return fields


def _lua_type(session: LuaSession, value: Any) -> str | None:
    """Lua's type of a value Lua handed over, or None for a Python object (str included)."""
    return session.module.lua_type(value)


def module_names(session: LuaSession) -> list[str]:
    """Modules `require` can find: loaded, preloaded, and `.lua` files on `package.path`."""
    reads = raw_reads(session)
    package = reads.field(reads.globals, "package")
    if _lua_type(session, package) != "table":
        return []
    names: set[str] = set()
    for part in ("loaded", "preload"):
        table = reads.field(package, part)
        if _lua_type(session, table) == "table":
            names |= {k for k in table if isinstance(k, str)}
    path = reads.field(package, "path")
    for template in (path if isinstance(path, str) else "").split(";"):
        directory, _, pattern = template.rpartition("/")
        if pattern != "?.lua" or not os.path.isdir(directory):
            continue
        for entry in os.listdir(directory):
            if entry.endswith(".lua"):
                names.add(entry.removesuffix(".lua"))
    return sorted(names)
