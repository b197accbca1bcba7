"""Interrupt checks in every loop of a cell, for LuaJIT's compiled code.

LuaJIT does not call debug hooks inside JIT-compiled traces, so a hook alone
cannot stop `while true do x = x + 1 end`. ilupa adds a call to
`__ilupa_check()` wherever Lua can run again without end: at the start of
every block that can repeat (after `do` and `repeat`), before every `goto`
(loops made of labels) and before every tail call `return f(...)` (endless
tail recursion; other recursion ends in a stack overflow, so ordinary calls
pay nothing). Each goes on the same line, so error line numbers still
match the cell. Not after goto labels: a label must stay last in its block
for `goto continue`. Strings and comments are left alone.
"""

from __future__ import annotations

import re

from ilupa.lua_source import blank_strings_and_comments

CHECK = "__ilupa_check();"
PROLOGUE = "local __ilupa_check = __ilupa_check; "
AFTER = re.compile(r"(?<![\w.:])(?:do|repeat)(?!\w)")
GOTO = re.compile(r"(?<![\w.:])goto(?=\s+[A-Za-z_])")
RETURN_CALL = re.compile(r"(?<![\w.:])return\s+[A-Za-z_][\w.:\s]*\(")
BLOCK_END = re.compile(r"\s*(?:;|\Z|(?:end|else|elseif|until)(?!\w))")


def with_loop_checks(code: str) -> str:
    """`code` with an interrupt check wherever it can repeat, lines unchanged."""
    plain = blank_strings_and_comments(code)
    places = [(m.end(), " " + CHECK) for m in AFTER.finditer(plain)]
    places += [(m.start(), CHECK + " ") for m in GOTO.finditer(plain)]
    places += [
        (m.start(), CHECK + " ") for m in RETURN_CALL.finditer(plain) if _is_tail_call(plain, m)
    ]
    if not places:
        return code
    pieces: list[str] = []
    last = 0
    for at, check in sorted(places):
        pieces += [code[last:at], check]
        last = at
    pieces.append(code[last:])
    return PROLOGUE + "".join(pieces)


def _is_tail_call(plain: str, match: re.Match[str]) -> bool:
    """True when the call opened at the end of `match` is all the return statement holds."""
    depth, i = 1, match.end()
    while depth and i < len(plain):
        depth += {"(": 1, ")": -1}.get(plain[i], 0)
        i += 1
    return depth == 0 and BLOCK_END.match(plain, i) is not None
