"""Is a Lua cell complete? Lua's own parser answers (for consoles' continuation lines)."""

from __future__ import annotations

from typing import Literal

from ilupa.session import LuaSession

Status = Literal["complete", "incomplete", "invalid"]
INDENT = "  "


def check_complete(session: LuaSession, code: str) -> tuple[Status, str]:
    """'incomplete' when Lua's parser stopped at the end of input, 'invalid' on other errors.

    The second value is the indent to offer for the next line.
    """
    error = session.parser.error_of(code)
    if error is not None:
        message = error.split("\nstack traceback:")[0].rstrip().rstrip("'")
        if message.endswith("<eof>"):
            return "incomplete", _next_indent(code)
        if not session.parser.compiles("return " + code):
            return "invalid", ""
    return "complete", ""


def _next_indent(code: str) -> str:
    lines = code.rstrip("\n").split("\n")
    last = lines[-1] if lines else ""
    return last[: len(last) - len(last.lstrip())] + INDENT
