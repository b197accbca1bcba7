"""Interrupt checks in every loop of a cell, for LuaJIT's compiled code.

LuaJIT does not call debug hooks inside JIT-compiled traces, so a hook alone
cannot stop `while true do x = x + 1 end`. ilupa adds a call to
`__ilupa_check()` at the start of every block that can repeat (after `do`
and `repeat`), on the same line, so error line numbers still match the cell.
Not after goto labels: a label must stay last in its block for `goto continue`.
Strings and comments are left alone.
"""

from __future__ import annotations

import re

from ilupa.lua_source import blank_strings_and_comments

CHECK = "__ilupa_check();"
PROLOGUE = "local __ilupa_check = __ilupa_check; "
LOOP_START = re.compile(r"(?<![\w.:])(?:do|repeat)(?!\w)")


def with_loop_checks(code: str) -> str:
    """`code` with an interrupt check opening every loop body, lines unchanged."""
    plain = blank_strings_and_comments(code)
    pieces: list[str] = []
    last = 0
    for match in LOOP_START.finditer(plain):
        pieces.append(code[last : match.end()])
        pieces.append(" " + CHECK)
        last = match.end()
    if not pieces:
        return code
    pieces.append(code[last:])
    return PROLOGUE + "".join(pieces)
