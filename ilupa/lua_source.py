"""Reading Lua cell source the way a notebook needs: its value and its silencing `;`.

A Python cell shows the value of its last expression; a Lua chunk shows
nothing unless it returns. ilupa splits a cell into "statements; last
expression" and runs `statements return <values>(expression)`, on the same
lines so that error line numbers still match the cell. The values pass
through a function the runner hands the chunk (`...`), so the last call is no
tail call and keeps its frame in Lua's traceback.

The split must never change what the cell means: `x = 10` / `- 1` sets x to
9 and shows nothing, `y = f` / `{1}` calls f. So the tokens (ilupa.lua_lexer)
choose one place, and Lua's own compiler judges it (see `with_trailing_value`).
"""

from __future__ import annotations

from collections.abc import Callable

from ilupa.lua_lexer import (
    ANY,
    KEYWORD,
    NAME,
    NUMBER,
    OPERATOR,
    STRING,
    Dialect,
    Token,
    tokens_and_comments,
)
from ilupa.lua_lexer import tokens as lua_tokens

VALUES_FUNCTION = "__ilupa_values"

# Tokens that can open an expression (and so a `return` list).
_EXPRESSION_OPENERS = frozenset(
    ["(", "{", "function", "nil", "true", "false", "...", "not", "-", "#", "~"]
)
# Keywords and operators that can end an expression.
_VALUE_ENDERS = frozenset([")", "]", "}", "nil", "true", "false", "...", "end"])
_OPENERS = frozenset(["(", "[", "{", "function", "do", "if", "repeat"])
_CLOSERS = frozenset([")", "]", "}", "end", "until"])


def blank_comments(code: str) -> str:
    """`code` with every comment replaced by spaces (newlines kept), strings untouched."""
    pieces: list[str] = []
    last = 0
    for token in tokens_and_comments(code):
        if token.kind == "comment":
            pieces += [code[last : token.start], _spaces(token.text)]
            last = token.end
    pieces.append(code[last:])
    return "".join(pieces)


def _spaces(text: str) -> str:
    return "".join(char if char in "\r\n" else " " for char in text)


def ends_with_semicolon(code: str) -> bool:
    """True when the cell's last token is `;`: the notebook's "show nothing"."""
    found = lua_tokens(code)
    return bool(found) and found[-1].is_(";")


def with_trailing_value(
    code: str, compiles: Callable[[str], bool], dialect: Dialect = ANY
) -> str | None:
    """`code` rewritten to return its last expression's value, or None if it ends in none.

    Where the last statement starts is read from the tokens: the last place
    at bracket and block depth 0 where one token can end a statement (a name,
    a literal, a closing bracket, `end`, `;`, a label's closing `::`) and the
    next can open an expression, unless that next token would continue the
    previous statement in Lua's grammar: `(`, `{` or a string after a name, a
    string or a closing bracket is a call argument (`y = f` / `{1}` calls f),
    and `-` or `~` after any value is a binary operator (`x = 10` / `- 1`).
    Inside one expression no such place exists (after a value comes an
    operator, a suffix, a comma or its end), so the last place is the only
    candidate: the cell is compiled once more at most, and the whole search
    is linear in the cell's size.

    The candidate is taken only when Lua compiles `head return V(tail)`. The
    `return` keyword cannot continue any statement, so head is then a
    complete run of statements, and since the next token does not continue
    the last of them, Lua read the cell as written with a statement boundary
    at the same place. The tail is then either the single call statement the
    cell ends with (a cell that compiles as written cannot end in any other
    expression) or an expression the cell could not have run as a statement,
    now shown. Otherwise the cell has no value and runs as written.
    """
    found = lua_tokens(code, dialect)
    last = len(found) - 1
    while last >= 0 and found[last].is_(";"):
        last -= 1
    start = _last_statement_start(found[: last + 1])
    if start is None:
        return None
    head = code[: found[start].start]
    tail = code[found[start].start : found[last].end]
    rewritten = f"local {VALUES_FUNCTION} = ...; {head}return {VALUES_FUNCTION}({tail}\n)"
    return rewritten if compiles(rewritten) else None


def _last_statement_start(found: list[Token]) -> int | None:
    """Index of the last token where a statement holding only an expression may start."""
    depth = 0
    in_label = False
    start = None
    previous: Token | None = None
    after_prefix = False  # `previous` ends a prefix expression: a suffix would continue it
    braces: list[bool] = []  # for each open `{`: is it a call's table argument?
    for index, token in enumerate(found):
        if (
            depth == 0
            and _opens_expression(token)
            and _ends_statement(previous, in_label)
            and not _continues(previous, after_prefix, token)
        ):
            start = index
        if token.is_("::"):
            in_label = not in_label
        if token.is_("{"):
            braces.append(after_prefix)
        if token.kind in (KEYWORD, OPERATOR):
            if token.text in _OPENERS:
                depth += 1
            elif token.text in _CLOSERS:
                depth -= 1
        if token.is_("}"):
            after_prefix = braces.pop() if braces else False
        elif token.kind != STRING:  # a string after a prefix is a call argument: kept
            after_prefix = token.kind == NAME or token.is_(")", "]")
        previous = token
    return start


def _opens_expression(token: Token) -> bool:
    return token.kind in (NAME, NUMBER, STRING) or token.is_(*_EXPRESSION_OPENERS)


def _ends_value(token: Token) -> bool:
    return token.kind in (NAME, NUMBER, STRING) or token.is_(*_VALUE_ENDERS)


def _ends_statement(previous: Token | None, in_label: bool) -> bool:
    """True when a statement may end with `previous` (None: the start of the cell)."""
    if previous is None:
        return True
    if previous.is_("::"):
        return not in_label  # the closing `::` of a label
    return previous.is_(";", "break") or _ends_value(previous)


def _continues(previous: Token | None, after_prefix: bool, token: Token) -> bool:
    """True when `token` after `previous` continues the same expression in Lua's grammar.

    `(`, `{` or a string after a prefix expression (a name, an index, a call,
    a parenthesized expression) are call arguments; `-` and `~` after any
    value are binary operators.
    """
    if previous is None:
        return False
    if token.kind == STRING or token.is_("(", "{"):
        return after_prefix
    if token.is_("-", "~"):
        return _ends_value(previous)
    return False
