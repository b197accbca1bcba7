"""Lua completion inside `%%lua` cells of a Python kernel, through IPython's completer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.core.completer import CompletionContext, SimpleCompletion, context_matcher

from ilupa.editor.completion import complete_lua
from ilupa.kernel.lua_cells import LUA_CELL_MAGIC


def lua_cell_matcher(magics: Any) -> Callable[[CompletionContext], dict[str, Any]]:
    """A matcher that answers for `%%lua` cells, and suppresses Python's matchers there."""

    @context_matcher()
    def match_lua(context: CompletionContext) -> dict[str, Any]:
        text = context.full_text
        lines = text.split("\n")
        if not text.lstrip().startswith(LUA_CELL_MAGIC) or context.cursor_line == 0:
            return {"completions": [], "suppress": False}
        first_line_end = len(lines[0]) + 1
        body_before = "\n".join(lines[1 : context.cursor_line])
        cursor_in_body = len(body_before) + (1 if context.cursor_line > 1 else 0)
        cursor_in_body += context.cursor_position
        body = text[first_line_end:]
        found = complete_lua(magics.session, body, cursor_in_body)
        fragment = body[found.cursor_start : found.cursor_end]
        return {
            "completions": [SimpleCompletion(text=m, type="lua") for m in found.matches],
            "matched_fragment": fragment,
            "suppress": True,
        }

    return match_lua


def register_lua_completer(shell: Any, magics: Any) -> None:
    """Add the `%%lua` matcher to the shell's completer (once)."""
    completer = shell.Completer
    if any(getattr(m, "ilupa_lua", False) for m in completer.custom_matchers):
        return
    matcher = lua_cell_matcher(magics)
    matcher.ilupa_lua = True  # type: ignore[attr-defined]
    completer.custom_matchers.append(matcher)
