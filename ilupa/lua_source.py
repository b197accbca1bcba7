"""Reading Lua cell source the way a notebook needs: its value and its silencing `;`.

A Python cell shows the value of its last expression; a Lua chunk shows
nothing unless it returns. ilupa finds the last statement of a cell and, when
it is an expression list, runs the cell returning it, rewritten on the same
lines so that error line numbers still match the cell. The values pass
through a function the runner hands the chunk (`...`), so the last call is no
tail call and keeps its frame in Lua's traceback. Lua's own parser decides
what is an expression (`compiles`), so no grammar is copied here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

LONG_BRACKET = re.compile(r"\[(=*)\[")
EXPLICIT_RETURN = re.compile(r"\s*return\b")
TRAILING_SEMICOLONS = re.compile(r"[\s;]*\Z")
VALUES_FUNCTION = "__ilupa_values"


def blank_comments(code: str) -> str:
    """`code` with every comment replaced by spaces (newlines kept), strings untouched."""
    return _blank(code, strings=False)


def blank_strings_and_comments(code: str) -> str:
    """`code` with comments and string contents replaced by spaces (quotes and newlines kept).

    What is left is only Lua's keywords, names, numbers and punctuation, for
    scanners that must not mistake a word inside a string for a keyword.
    """
    return _blank(code, strings=True)


def _blank(code: str, *, strings: bool) -> str:
    """One pass over Lua's lexical layers: comments always blanked, string bodies on request."""
    out: list[str] = []
    i, n = 0, len(code)
    while i < n:
        char = code[i]
        if char in "\"'":
            end = _short_string_end(code, i)
            out.append(char + _spaces(code[i + 1 : end]) if strings else code[i:end])
        elif char == "[" and (bracket := LONG_BRACKET.match(code, i)):
            end = _long_bracket_end(code, bracket.end(), bracket.group(1))
            out.append(char + _spaces(code[i + 1 : end]) if strings else code[i:end])
        elif code.startswith("--", i):
            bracket = LONG_BRACKET.match(code, i + 2)
            if bracket:
                end = _long_bracket_end(code, bracket.end(), bracket.group(1))
            else:
                newline = code.find("\n", i)
                end = n if newline < 0 else newline
            out.append(_spaces(code[i:end]))
        else:
            out.append(char)
            end = i + 1
        i = end
    return "".join(out)


def _spaces(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def _short_string_end(code: str, start: int) -> int:
    quote, i = code[start], start + 1
    while i < len(code):
        if code[i] == "\\":
            i += 2
            continue
        if code[i] in (quote, "\n"):
            return i + 1
        i += 1
    return len(code)


def _long_bracket_end(code: str, body_start: int, level: str) -> int:
    close = code.find("]" + level + "]", body_start)
    return len(code) if close < 0 else close + len(level) + 2


def ends_with_semicolon(code: str) -> bool:
    """True when the cell's last code character is `;`: the notebook's "show nothing"."""
    return blank_comments(code).rstrip().endswith(";")


def with_trailing_value(code: str, compiles: Callable[[str], bool]) -> str | None:
    """`code` rewritten to return its last statement's value, or None when that is no expression.

    The candidate start of the last statement moves up line by line (and to
    the last `;` within a line); it is accepted when the code before it is a
    complete chunk and `return <rest>` is valid Lua.
    """
    plain = blank_comments(code)
    lines = plain.split("\n")
    originals = code.split("\n")
    last = len(lines) - 1
    while last >= 0 and not lines[last].strip():
        last -= 1
    if last < 0:
        return None
    for row in range(last, -1, -1):
        for column in _statement_starts(lines[row]):
            head = "\n".join([*originals[:row], originals[row][:column]])
            tail = "\n".join([originals[row][column:], *originals[row + 1 :]])
            if not tail.strip() or EXPLICIT_RETURN.match(tail):
                continue
            if compiles("return " + tail) and compiles(head):
                plain_tail = "\n".join([lines[row][column:], *lines[row + 1 :]])
                values = TRAILING_SEMICOLONS.sub("", plain_tail)
                return f"local {VALUES_FUNCTION} = ...; {head}return {VALUES_FUNCTION}({values}\n)"
    return None


def _statement_starts(line: str) -> list[int]:
    """Columns where a statement may start on a line: after its last `;`, then its start."""
    starts = []
    semicolon = line.rstrip().rstrip(";").rfind(";")
    if semicolon >= 0:
        starts.append(semicolon + 1)
    starts.append(0)
    return starts
