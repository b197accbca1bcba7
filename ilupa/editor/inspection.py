"""What Shift-Tab and `?` show for a Lua name: standard function, Lua function or Python object.

Like completion, it runs no user metamethod: names resolve raw
(ilupa/editor/completion.py) and a Lua value is described by its type and address
(lupa's repr), never its `__tostring`.
"""

from __future__ import annotations

import contextlib
import inspect
import re
from typing import Any

from ilupa.editor.completion import raw_reads, resolve
from ilupa.editor.stdlib import STANDARD_FUNCTIONS
from ilupa.session import LuaSession

DOTTED_NAME = re.compile(r"[A-Za-z_][\w]*(?:\s*[.:]\s*[A-Za-z_]\w*)*")
MAX_DOC_LINES = 30


def name_at(code: str, cursor_pos: int) -> str:
    """The dotted Lua name the cursor is in or just after, `:` read as `.`."""
    for match in DOTTED_NAME.finditer(code):
        if match.start() <= cursor_pos <= match.end():
            return re.sub(r"\s+", "", match.group()).replace(":", ".")
    return _open_call(code[:cursor_pos])


def _open_call(before: str) -> str:
    """The name of the call left open before the cursor (`f(a, ` gives `f`), or "".

    Found from the last `(` back, in one pass: an end-anchored regular
    expression searched from every start was quadratic (Shift-Tab after
    `x = a.a.a...` of 60 KB answered after a minute).
    """
    open_at = before.rfind("(")
    if open_at < 0 or ")" in before[open_at:]:
        return ""
    head = before[:open_at].rstrip()
    last = None
    for match in DOTTED_NAME.finditer(head):
        last = match
    if last is None or last.end() != len(head):
        return ""
    return re.sub(r"\s+", "", last.group()).replace(":", ".")


def inspect_lua(session: LuaSession, code: str, cursor_pos: int | None = None) -> str | None:
    """Plain-text help for the name at the cursor, or None when it names nothing."""
    cursor = len(code) if cursor_pos is None else cursor_pos
    name = name_at(code, cursor)
    if not name:
        return None
    value = resolve(session, name)
    if name in STANDARD_FUNCTIONS and session.module.lua_type(value) == "function":
        signature, summary = STANDARD_FUNCTIONS[name]
        return f"{signature}\n    {summary}\n(Lua standard library, {session.version})"
    if value is None:
        return None
    kind = session.module.lua_type(value)
    if kind == "function":
        return describe_lua_function(session, name, value)
    if kind is not None:
        return f"{name}: Lua {kind} {value!r}"
    return describe_python_object(name, value)


def describe_lua_function(session: LuaSession, name: str, function: Any) -> str:
    """Where a Lua function was defined, and its source lines when ilupa ran that chunk."""
    source, first, last, what = raw_reads(session).function_info(function)
    if what == "C":
        return f"{name}: built-in function (C)"
    chunk = source[1:] if source[:1] in ("=", "@") else source
    text = f"{name}: Lua function defined in {chunk}, lines {first}-{last}"
    cell = session.sources.get(chunk)
    if cell is not None and first > 0:
        lines = cell.splitlines()[first - 1 : last]
        text += "\n" + "\n".join(lines)
    return text


def describe_python_object(name: str, value: Any) -> str:
    """A Python object's type, signature and docstring."""
    header = f"{name}: Python {type(value).__module__}.{type(value).__qualname__}"
    if callable(value):
        with contextlib.suppress(TypeError, ValueError):
            header += f"\nSignature: {name}{inspect.signature(value)}"
    else:
        header += f"\nValue: {value!r}"[:400]
    doc = inspect.getdoc(value) or ""
    if doc:
        header += "\n" + "\n".join(doc.splitlines()[:MAX_DOC_LINES])
    return header
