"""Interrupt checks in every loop of LuaJIT code, for its compiled traces.

LuaJIT does not call debug hooks inside JIT-compiled traces, so a hook alone
cannot stop `while true do x = x + 1 end`. ilupa adds a check wherever Lua
can run again without end: at the start of every block that can repeat
(before the first token after `do` and `repeat`, on its line), before
every `goto` statement (loops made of labels) and before every tail call
`return f(...)` (endless tail recursion; other recursion ends in a stack
overflow, so ordinary calls pay nothing).

The check is `(0i)()`: a call of LuaJIT's complex-number literal, which runs
the `__call` metamethod that interrupt.lua gives the `complex` C type with
`ffi.metatype`. It needs no name, so it takes no global lookup, no local or
upvalue slot (a function with 200 locals or 60 upvalues still compiles) and
works in code loaded with its own environment (`load(s, n, "t", {})`,
`setfenv`). A cell cannot overwrite it: a metatype is fixed for the life of
the state. After `do`/`repeat` it is followed by `;`, so a statement that
starts with `(` is not read as its arguments; before `goto` and `return` it is
wrapped in `do ... end`, which no previous statement can continue. Each goes on
the same line, so error line numbers still match; strings and comments are
never touched (ilupa.source.lexer reads the code as LuaJIT does).

If the rewritten code does not compile where the original does (a form this
rewrite did not foresee), the original runs as written: the count hook still
covers it outside compiled traces.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ilupa.source.lexer import KEYWORD, LUAJIT, NAME, NUMBER, STRING, Token, tokens, without_quoted

CHECK = "(0i)()"
AFTER_LOOP_START = f" {CHECK};"
BEFORE_STATEMENT = f"do {CHECK} end "
_BLOCK_STARTS = frozenset([";", "do", "then", "else", "repeat", "end", "break"])
_VALUE_ENDS = frozenset([")", "]", "}", "nil", "true", "false", "..."])
_TAIL_ENDS = frozenset(["end", "else", "elseif", "until", ";"])
_CALL_SUFFIX_OPENERS = frozenset(["(", "{"])


# A word that may need a check, as a whole LuaJIT name (bytes above 0x7F are name
# characters there). The trailing value's `return __ilupa_values(...)` (ilupa's own,
# source/cells.py) calls a function that only returns: no endless tail call.
_WORDS = ("do", "repeat", "goto", "return")
_MAY_REPEAT = re.compile(
    r"(?<![A-Za-z0-9_\x80-\U0010ffff])(?:do|repeat|goto|return(?!\s*__ilupa_values\s*\())"
    r"(?![A-Za-z0-9_\x80-\U0010ffff])"
)


def may_repeat(code: str) -> bool:
    """False when no code outside strings and comments can need a check (no `do`,
    `repeat`, `goto` or `return` in it): the regex engine alone decides, so a big cell
    of plain statements is not lexed token by token in Python."""
    if not any(word in code for word in _WORDS):  # substring search: fast, no lookbehind
        return False
    return _MAY_REPEAT.search(code) is not None and (
        _MAY_REPEAT.search(without_quoted(code, LUAJIT)) is not None
    )


def with_loop_checks(code: str, compiles: Callable[[str], bool] | None = None) -> str:
    """`code` with an interrupt check wherever it can repeat, lines unchanged.

    With `compiles`, `code` comes back as it is when the rewrite does not
    compile (and the original does, or its own error must be reported).
    """
    if not may_repeat(code):
        return code
    found = tokens(code, LUAJIT)
    closing = _matching_brackets(found)
    places: list[tuple[int, str]] = []
    in_label = False
    for index, token in enumerate(found):
        if token.is_("::"):
            in_label = not in_label
        elif token.is_("do", "repeat"):
            # before the body's first token, on its line: a line hook then sees the
            # check on the line of the statement it precedes, not an extra `do` line
            at = found[index + 1].start if index + 1 < len(found) else token.end
            places.append((at, AFTER_LOOP_START))
        elif _is_goto(found, index, in_label) or (
            token.is_("return") and _is_tail_call(found, index + 1, closing)
        ):
            places.append((token.start, BEFORE_STATEMENT))
    if not places:
        return code
    pieces: list[str] = []
    last = 0
    for at, check in places:
        pieces += [code[last:at], check]
        last = at
    pieces.append(code[last:])
    rewritten = "".join(pieces)
    if compiles is not None and not compiles(rewritten):
        return code
    return rewritten


def _matching_brackets(found: list[Token]) -> dict[int, int]:
    """Index of each opening bracket's closing token (unbalanced ones left out)."""
    closing: dict[int, int] = {}
    stack: list[int] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for index, token in enumerate(found):
        if token.is_("(", "[", "{"):
            stack.append(index)
        elif token.is_(")", "]", "}"):
            if stack and found[stack[-1]].text == pairs[token.text]:
                closing[stack.pop()] = index
            else:
                stack.clear()
    return closing


def _is_goto(found: list[Token], index: int, in_label: bool) -> bool:
    """True for `goto NAME` starting a statement (elsewhere LuaJIT reads `goto` as a name)."""
    token = found[index]
    if token.kind != NAME or token.text != "goto" or in_label:
        return False
    if index + 1 >= len(found) or found[index + 1].kind != NAME:
        return False
    if index == 0:
        return True
    previous = found[index - 1]
    return (
        previous.kind in (NAME, NUMBER, STRING) or previous.is_(*_BLOCK_STARTS, *_VALUE_ENDS, "::")
    ) and not (previous.kind == NAME and previous.text == "goto")


def _is_tail_call(found: list[Token], index: int, closing: dict[int, int]) -> bool:
    """True when the tokens from `index` are one call expression that ends a block.

    `return f(x)`, `return a.b:c "s"`, `return t[i](x) {y}`: a name or a
    parenthesized expression, then field, index and call suffixes, the last a call.
    """
    if index >= len(found):
        return False
    first = found[index]
    if first.kind == NAME:
        index += 1
    elif first.is_("(") and index in closing:
        index = closing[index] + 1
    else:
        return False
    called = False
    while index < len(found):
        token = found[index]
        if token.is_(".", ":") and index + 1 < len(found) and found[index + 1].kind == NAME:
            index, called = index + 2, False
        elif token.is_("[") and index in closing:
            index, called = closing[index] + 1, False
        elif token.is_(*_CALL_SUFFIX_OPENERS) and index in closing:
            index, called = closing[index] + 1, True
        elif token.kind == STRING:
            index, called = index + 1, True
        else:
            return called and (token.kind == KEYWORD or token.is_(";")) and token.text in _TAIL_ENDS
    return called
