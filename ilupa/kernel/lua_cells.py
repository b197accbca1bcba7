"""Which cells of the ilupa kernel are Lua: every cell not starting with an IPython escape."""

from __future__ import annotations

import re

IPYTHON_ESCAPES = ("%", "!", "?")
LUA_HELP_MAGIC = "%lua_help"
# `name?`, `name??`, `?name`, `??name` on a dotted Lua name (`:` as in method calls).
HELP_REQUEST = re.compile(
    r"^\s*(?:\?{1,2}\s*(?P<pre>NAME)|(?P<post>NAME)\s*\?{1,2})\s*$".replace(
        "NAME", r"[A-Za-z_]\w*(?:\s*[.:]\s*[A-Za-z_]\w*)*"
    )
)
LUA_CELL_MAGIC = "%%lua"
LUA_CELL_MAGICS = ("", "lua")
PYTHON_CELL_MAGICS = ("py", "python")


def is_lua_cell(code: str) -> bool:
    """True when the cell is Lua: its first non-blank character is no `%`, `!` or `?`."""
    return not code.lstrip().startswith(IPYTHON_ESCAPES)


def as_lua_cell(lines: list[str]) -> list[str]:
    """IPython input transformer: a Lua cell becomes a `%%lua` cell, `name?` Lua help."""
    code = "".join(lines)
    if help_request := HELP_REQUEST.match(code):
        name = help_request["pre"] or help_request["post"]
        return [f"{LUA_HELP_MAGIC} {name}\n"]
    if not is_lua_cell(code) or not code.strip():
        return lines
    return [LUA_CELL_MAGIC + "\n", *lines]


def lua_body(code: str) -> tuple[str, int] | None:
    """The Lua part of a cell and its offset in the cell, or None for a Python cell."""
    if is_lua_cell(code):
        return code, 0
    return lua_magic_body(code)


def lua_magic_body(code: str) -> tuple[str, int] | None:
    """The body of a `%%lua` cell and its offset in the cell, or None for any other cell."""
    stripped = code.lstrip()
    if stripped.startswith(LUA_CELL_MAGIC) and not stripped[len(LUA_CELL_MAGIC) :][:1].isalnum():
        newline = code.find("\n", len(code) - len(stripped))
        if newline >= 0:
            return code[newline + 1 :], newline + 1
    return None


def split_cell_magic(code: str) -> tuple[str | None, str]:
    """("", code) for a Lua cell; (name, body) for a `%%name` cell; (None, code) otherwise."""
    if is_lua_cell(code):
        return "", code
    stripped = code.lstrip()
    if not stripped.startswith("%%"):
        return None, code
    first, _, body = stripped.partition("\n")
    return first[2:].split(" ")[0].strip(), body
