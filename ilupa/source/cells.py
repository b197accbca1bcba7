"""Reading Lua cell source the way a notebook needs: its value and its silencing `;`.

A Python cell shows the value of its last expression; a Lua chunk shows
nothing unless it returns. ilupa splits a cell into "statements; last
expression" and runs `statements return <values>(expression)`, on the same
lines so that error line numbers still match the cell. The values pass
through a function the runner hands the chunk (`...`), so the last call is no
tail call and keeps its frame in Lua's traceback.

The split must never change what the cell means: `x = 10` / `- 1` sets x to
9 and shows nothing, `y = f` / `{1}` calls f. So the tokens (ilupa.source.lexer)
choose one place, and Lua's own compiler judges it (see `with_trailing_value`).
"""

from __future__ import annotations

from collections.abc import Callable

from ilupa.source.lexer import (
    ANY,
    KEYWORD,
    NAME,
    NUMBER,
    OPERATOR,
    STRING,
    Dialect,
    Token,
    quiet_line_start,
    tokens_and_comments,
    tokens_from,
)
from ilupa.source.lexer import tokens as lua_tokens

VALUES_FUNCTION = "__ilupa_values"

# Tokens that can open an expression (and so a `return` list).
_EXPRESSION_OPENERS = frozenset(
    ["(", "{", "function", "nil", "true", "false", "...", "not", "-", "#", "~"]
)
# Keywords and operators that can end an expression.
_VALUE_ENDERS = frozenset([")", "]", "}", "nil", "true", "false", "...", "end"])
_OPENERS = frozenset(["(", "[", "{", "function", "do", "if", "repeat"])
_CLOSERS = frozenset([")", "]", "}", "end", "until"])


TAIL_WINDOW = 4096
"""Characters before a cell's end whose tokens are read first; more when they do not decide."""

_UNDECIDED = object()


_last_tail: list[tuple[str, int, Dialect, tuple[list[Token], bool]]] = []


def _tail_tokens(code: str, window: int, dialect: Dialect = ANY) -> tuple[list[Token], bool]:
    """The tokens of the last `window` characters or so of `code`, and whether they are
    only a tail (False: all of them). The tail starts at a line start outside any
    string or comment (`quiet_line_start`), so its tokens are the whole cell's last ones.

    The last answer is kept: a cell's value, `;` and `io.write` ending are read from
    the same text one after the other, and finding the tail scans the whole cell.
    """
    if _last_tail and _last_tail[0][0] is code and _last_tail[0][1:3] == (window, dialect):
        return _last_tail[0][3]
    found = _tail_tokens_of(code, window, dialect)
    _last_tail[:] = [(code, window, dialect, found)]
    return found


def _tail_tokens_of(code: str, window: int, dialect: Dialect) -> tuple[list[Token], bool]:
    if len(code) <= window:
        return lua_tokens(code, dialect), False
    start = quiet_line_start(code, len(code) - window, dialect)
    if start == 0:
        return lua_tokens(code, dialect), False
    return tokens_from(code, start, dialect), True


def _decided(read: Callable[[list[Token], bool], object], code: str, dialect: Dialect) -> object:
    """`read(tokens, partial)` over ever longer tails of `code` until it decides.

    Reading a cell's end needs its last tokens only, and a 10 MB cell took a minute
    to lex whole in Python; the tail is found by the regex engine (linear, no Python
    step per token), lexed, and read. `read` returns `_UNDECIDED` when what it needs
    may lie before the tail; the tail then grows fourfold, up to the whole cell.
    """
    window = TAIL_WINDOW
    while True:
        found, partial = _tail_tokens(code, window, dialect)
        result = read(found, partial)
        if result is not _UNDECIDED or not partial:
            return None if result is _UNDECIDED else result
        window *= 4


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

    def read(found: list[Token], partial: bool) -> object:
        if not found:
            return _UNDECIDED if partial else False
        return found[-1].is_(";")

    return bool(_decided(read, code, ANY))


def ends_with_write_call(code: str) -> bool:
    """True when the cell ends in a call of a `write` field or method (`io.write(...)`).

    Such a cell's output is its point, whatever the call returns: the file on
    Lua 5.2 and later, `true` on Lua 5.1 and LuaJIT.
    """
    return bool(_decided(_ends_with_write_call, code, ANY))


def _ends_with_write_call(found: list[Token], partial: bool) -> object:
    if not found:
        return _UNDECIDED if partial else False
    end = len(found) - 1
    if found[end].is_(")"):
        depth = 0
        while end >= 0:  # back to the "(" that opens the last argument list
            depth += found[end].is_(")") - found[end].is_("(")
            if depth == 0:
                break
            end -= 1
    elif found[end].kind != STRING:
        return False
    if partial and end < 2:
        return _UNDECIDED  # the "(" or the name before it lies before the tail
    name = found[end - 1] if end >= 2 else None
    return (
        name is not None
        and name.kind == NAME
        and name.text == "write"
        and (found[end - 2].is_(".", ":"))
    )


def with_trailing_value(
    code: str, compiles: Callable[[str], bool], dialect: Dialect = ANY
) -> str | None:
    """`code` rewritten to return its last expression's value, or None if it ends in none.

    Where the last statement may start is read from the tokens: a place at
    bracket and block depth 0, at the start of a line or after `;` (as in a
    Python cell), where one token can end a statement (a name, a literal, a
    closing bracket, `end`, `;`, a label's closing `::`) and the next can open
    an expression. Inside one expression such a place only
    comes before a token that also continues it (`(`, `{` or a string as call
    arguments, `-` or `~` as binary operators), so every other place is a
    statement boundary, and the last place is where the trailing expression
    starts. For those ambiguous tokens Lua's parser is asked: the previous
    statement goes on when `head` followed by a probe that can only continue
    it (`(0)`, `{}`, `""`, `- 0`, `~ 0`; none is a statement) compiles
    (`x = 10` / `- 1` goes on: `x = 10 - 0` compiles; `print(a)` / `- 1`
    does not), or when `head` alone does not compile (the place is inside an
    expression, `{1} + f` / `{2}`). Then the next earlier place is tried, at
    most `MAX_PROBES` times, so the whole search stays linear in the cell's size.

    The place is taken only when Lua compiles `head return V(tail)`. The
    `return` keyword continues no statement, so head is then a complete run
    of statements and Lua read the cell as written with a statement boundary
    at the same place. The tail is then either the call statement the cell
    ends with (a cell that compiles as written can end in no other
    expression) or an expression the cell could not run as a statement, now
    shown. Otherwise the cell has no value and runs as written.
    """

    def read(found: list[Token], partial: bool) -> object:
        return _trailing_value(code, found, compiles, partial)

    rewritten = _decided(read, code, dialect)
    return rewritten if isinstance(rewritten, str) else None


def _trailing_value(
    code: str, found: list[Token], compiles: Callable[[str], bool], partial: bool
) -> object:
    """`with_trailing_value` over `found`, the cell's tokens or (`partial`) its last ones.

    A tail decides only what it can see: its depth is taken as 0 at its start, which
    holds when it ends at depth 0 again (a cell Lua compiles ends at depth 0); its
    first token has no previous token to judge it by, so reaching it is undecided.
    """
    last = len(found) - 1
    while last >= 0 and found[last].is_(";"):
        last -= 1
    if partial and _depth_change(found) != 0:
        return _UNDECIDED
    probes = 0
    for start in reversed(_statement_starts(code, found[: last + 1])):
        if partial and start == 0:
            return _UNDECIDED
        head = code[: found[start].start]
        probe = _continuation_probe(found, start)
        if probe is not None:
            if probes == MAX_PROBES:
                return None
            probes += 1
            # On the previous token's line: LuaJIT and 5.1 refuse `f` / `(0)`.
            if compiles(f"{code[: found[start - 1].end]} {probe}") or not compiles(head):
                continue  # the statement goes on here, or has not ended
        tail = code[found[start].start : found[last].end]
        rewritten = f"local {VALUES_FUNCTION} = ...; {head}return {VALUES_FUNCTION}({tail}\n)"
        return rewritten if compiles(rewritten) else None
    return _UNDECIDED if partial else None


def _depth_change(found: list[Token]) -> int:
    """Openers minus closers over `found`, counted as `_statement_starts` counts depth."""
    depth = 0
    for token in found:
        if token.kind in (KEYWORD, OPERATOR):
            if token.text in _OPENERS:
                depth += 1
            elif token.text in _CLOSERS:
                depth -= 1
    return depth


MAX_PROBES = 4
_PROBES = {"(": "(0)", "{": "{}", "-": "- 0", "~": "~ 0"}


def _statement_starts(code: str, found: list[Token]) -> list[int]:
    """Indexes of the tokens where a statement holding only an expression may start.

    As in a Python cell, the value is the last line's (or what follows the
    last `;`): `x = 1 1` stays the syntax error it is in Lua.
    """
    depth = 0
    in_label = False
    starts: list[int] = []
    previous: Token | None = None
    for index, token in enumerate(found):
        if (
            depth == 0
            and _opens_expression(token)
            and _ends_statement(previous, in_label)
            and (previous is None or previous.is_(";") or _newline_between(code, previous, token))
        ):
            starts.append(index)
        if token.is_("::"):
            in_label = not in_label
        if token.kind in (KEYWORD, OPERATOR):
            if token.text in _OPENERS:
                depth += 1
            elif token.text in _CLOSERS:
                depth -= 1
        previous = token
    return starts


def _newline_between(code: str, previous: Token, token: Token) -> bool:
    between = code[previous.end : token.start]
    return "\n" in between or "\r" in between


def _continuation_probe(found: list[Token], start: int) -> str | None:
    """Text that would continue the statement before `found[start]`, if its token can."""
    if start == 0 or not _ends_value(found[start - 1]):
        return None
    token = found[start]
    if token.kind == STRING:
        return '""'
    return _PROBES.get(token.text) if token.kind == OPERATOR else None


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
