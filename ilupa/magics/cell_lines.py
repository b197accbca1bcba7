"""Where a Lua cell's first line sits in the cell the user sees, so reports use the editor's lines.

In a Python notebook a `%%lua` cell's Lua starts on the cell's line 2 (line 1 is
`%%lua`); in the ilupa kernel a Lua cell starts on line 1, and a `%%lua` cell
there on line 2 again. The chunk Lua compiles is placed at that line by leading
newlines, so Lua itself counts as the editor does: error messages, tracebacks,
`debug.getinfo`, where a function was defined. Newlines before a chunk change
nothing else it means, with one exception handled here: LuaJIT skips a UTF-8
byte-order mark at the start of any chunk and then a first line that starts
with `#`, so the mark is dropped and that line emptied (kept as a line) before
the chunk is moved down.
"""

from __future__ import annotations

CELL_MAGIC_PREFIX = "%%"
BYTE_ORDER_MARK = "\ufeff"


def first_lua_line(raw_cell: str | None, body: str) -> int:
    """The cell line on which a cell magic's `body` starts, given the cell as the user typed it.

    A raw cell that starts with a `%%` line (after blank lines, which IPython drops)
    has its body on the line after it; any other raw cell is all Lua (the ilupa
    kernel's Lua cells). When the raw cell is unknown or does not hold the body (a
    magic called from code, a silent execution) the body is taken to follow one
    `%%lua` line.
    """
    if raw_cell is None or body.strip() not in raw_cell:
        return 2
    stripped = raw_cell.lstrip("\r\n \t")
    if not stripped.startswith(CELL_MAGIC_PREFIX):
        return 1
    blank_lines = raw_cell[: len(raw_cell) - len(stripped)].count("\n")
    return blank_lines + 2


def placed_at_line(code: str, first_line: int, *, skips_hash_line: bool) -> str:
    """`code` moved down so that its first line is line `first_line` of the chunk."""
    if first_line <= 1:
        return code
    if skips_hash_line:
        code = as_luajit_starts_it(code)
    return "\n" * (first_line - 1) + code


def as_luajit_starts_it(code: str) -> str:
    """`code` without what LuaJIT skips at a chunk's start: a byte-order mark, then a `#` line.

    The `#` line is emptied, not removed, so line numbers stay. Applied before
    ilupa adds anything in front of a cell (its value, newlines), which would
    otherwise move these out of the place where LuaJIT skips them.
    """
    if code.startswith(BYTE_ORDER_MARK):
        code = code[1:]
    if code.startswith("#"):
        newline = code.find("\n")
        code = "" if newline < 0 else code[newline:]
    return code
