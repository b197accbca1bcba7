"""Lua's lexical layer, as each runtime reads it: tokens with their places in the source.

ilupa rewrites a cell in two ways (its trailing value, the interrupt checks in
its loops) and both must see the cell the way Lua's own lexer does, or a word
inside a string or a comment is taken for code. This module reads every
lexical form of Lua 5.1-5.5 and LuaJIT 2.0/2.1: long brackets of any level
(strings and comments), short strings with every escape (`\\z` skipping
whitespace and newlines on 5.2+ and LuaJIT, a backslash before `\\r\\n`),
numerals (hex floats, LuaJIT's `LL`/`ULL`/`i` suffixes: Lua itself reads a
numeral greedily and judges it afterwards, and so does this lexer), names
(LuaJIT also takes bytes above 0x7F), and operators. Whether `goto` is a
keyword depends on the runtime (`Dialect`).

It only splits the text: it never judges whether the code is valid Lua, which
is always left to the runtime's own compiler. Malformed input still gives
tokens (an `error` token for an unfinished string or a stray character), so a
caller can fall back to running the code as written. One left-to-right pass
with anchored regular expressions (atomic where a backtrack could repeat) and
`str.find` for long-bracket ends: linear in the size of the source.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

KEYWORDS_51 = frozenset(
    [
        "and",
        "break",
        "do",
        "else",
        "elseif",
        "end",
        "false",
        "for",
        "function",
        "if",
        "in",
        "local",
        "nil",
        "not",
        "or",
        "repeat",
        "return",
        "then",
        "true",
        "until",
        "while",
    ]
)

NAME = "name"
KEYWORD = "keyword"
NUMBER = "number"
STRING = "string"
OPERATOR = "operator"
ERROR = "error"


@dataclass(frozen=True)
class Dialect:
    """What differs between runtimes at the lexical level.

    `goto_keyword`: `goto` is reserved (Lua 5.2+). LuaJIT reads `goto` as a
    name and takes `goto NAME` at the start of a statement as a jump, so
    `local goto = true` stays valid there (`goto_statement`).
    `z_escape`: `\\z` skips the whitespace after it (5.2+, LuaJIT).
    `wide_names`: bytes above 0x7F may appear in names (LuaJIT).
    """

    name: str
    goto_keyword: bool
    goto_statement: bool
    z_escape: bool
    wide_names: bool

    @property
    def keywords(self) -> frozenset[str]:
        return KEYWORDS_51 | {"goto"} if self.goto_keyword else KEYWORDS_51


LUA51 = Dialect("lua51", goto_keyword=False, goto_statement=False, z_escape=False, wide_names=False)
LUA52_PLUS = Dialect(
    "lua5x", goto_keyword=True, goto_statement=True, z_escape=True, wide_names=False
)
LUAJIT = Dialect("luajit", goto_keyword=False, goto_statement=True, z_escape=True, wide_names=True)
# For readers that only need token boundaries of code that compiles somewhere:
# every form any runtime accepts (the runtime's compiler judges the rest).
ANY = Dialect("any", goto_keyword=False, goto_statement=True, z_escape=True, wide_names=True)


def dialect_for(runtime: str) -> Dialect:
    """The dialect of a lupa runtime name (`lua51`...`lua55`, `luajit20`, `luajit21`)."""
    if runtime.startswith("luajit"):
        return LUAJIT
    if runtime == "lua51":
        return LUA51
    return LUA52_PLUS


class Token(NamedTuple):
    """One token: its kind, where it is in the source (`start` to `end`), and its text."""

    kind: str
    start: int
    end: int
    text: str

    def is_(self, *texts: str) -> bool:
        """True for a keyword or operator token spelled as one of `texts`."""
        return self.kind in (KEYWORD, OPERATOR) and self.text in texts


SPACE = re.compile(r"[ \t\r\n\f\v]++")
LONG_OPEN = re.compile(r"\[(=*+)\[")
LINE_COMMENT_BODY = re.compile(r"[^\r\n]*+")
NAME_ASCII = re.compile(r"[A-Za-z_][A-Za-z0-9_]*+")
NAME_WIDE = re.compile(r"[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*+")
# Lua reads a numeral greedily (digits, letters, dots, a sign after an exponent
# mark) and only then decides whether it is well formed.
NUMERAL = re.compile(
    r"0[xX](?:[pP][+-]|[A-Za-z0-9_.\x80-\U0010ffff])*+"
    r"|(?:[0-9]|\.[0-9])(?:[eE][+-]|[A-Za-z0-9_.\x80-\U0010ffff])*+"
)
OPERATORS = re.compile(r"\.\.\.|\.\.|==|~=|<=|>=|<<|>>|//|::|[-+*/%^#&~|<>=(){}\[\];:,.]")


def _short_body(quote: str, z_escape: bool) -> re.Pattern[str]:
    """A short string's body after its opening quote: plain runs and escapes."""
    z_skip = r"|z[ \t\n\v\f\r]*+" if z_escape else ""
    escape = rf"\\(?:\r\n?|\n\r?{z_skip}|[\s\S])"
    return re.compile(rf"(?:[^{quote}\\\r\n]++|{escape})*+")


SHORT_BODY = {(q, z): _short_body(q, z) for q in "\"'" for z in (False, True)}


def tokens(code: str, dialect: Dialect = ANY) -> list[Token]:
    """The tokens of `code`, comments and whitespace left out, in order."""
    return list(_scan(code, dialect, keep_comments=False))


def tokens_and_comments(code: str, dialect: Dialect = ANY) -> list[Token]:
    """Like `tokens`, with comments as tokens of kind "comment" too."""
    return list(_scan(code, dialect, keep_comments=True))


def _master(dialect: Dialect) -> re.Pattern[str]:
    """One pattern for every token but long brackets, whose ends `_long_end` finds."""
    name = NAME_WIDE if dialect.wide_names else NAME_ASCII
    strings = "|".join(
        f"{quote}{SHORT_BODY[quote, dialect.z_escape].pattern}{quote}" for quote in "\"'"
    )
    return re.compile(
        rf"{SPACE.pattern[:-2]}*+(?:"
        rf"(?P<long>(?:--)?{LONG_OPEN.pattern})"
        rf"|(?P<comment>--{LINE_COMMENT_BODY.pattern})"
        rf"|(?P<{STRING}>{strings})"
        rf"|(?P<{NUMBER}>{NUMERAL.pattern})"
        rf"|(?P<{NAME}>{name.pattern})"
        rf"|(?P<{OPERATOR}>{OPERATORS.pattern}))"
    )


_MASTERS = {dialect: _master(dialect) for dialect in (LUA51, LUA52_PLUS, LUAJIT, ANY)}


def tokens_from(code: str, start: int, dialect: Dialect = ANY) -> list[Token]:
    """The tokens of `code` from `start`, a place between tokens (`quiet_line_start`)."""
    return list(_scan(code, dialect, keep_comments=False, start=start))


# Long strings, long comments, line comments and short strings: what decides whether
# a place is code. An unclosed long bracket runs to the end, an unfinished short string
# to its line's end, as the lexer reads them (`closed=False`). With `closed=True` a
# quoted part must end inside the text matched: matched up to a place (`endpos`), a
# part still open there does not match, so the match stops short of the place.
def _quoted(dialect: Dialect, *, closed: bool = False) -> str:
    end, line_end = ("", r"(?=[\r\n])") if closed else (r"|\Z", "")
    strings = "|".join(
        f"{q}{SHORT_BODY[q, dialect.z_escape].pattern}(?:{q}|{line_end or '(?:)'})" for q in "\"'"
    )
    return (
        rf"--\[(?P<c>=*+)\[.*?(?:\](?P=c)\]{end})|--(?!\[=*+\[)[^\r\n]*+"
        rf"|\[(?P<s>=*+)\[.*?(?:\](?P=s)\]{end})|{strings}"
    )


_DIALECTS = (LUA51, LUA52_PLUS, LUAJIT, ANY)
_QUOTED = {d: re.compile(_quoted(d), re.DOTALL) for d in _DIALECTS}
# Text read as a run of code and whole quoted parts, matched by the regex engine alone.
_QUIET_PREFIX = {
    d: re.compile(rf"(?:[^-\[\"']++|-(?!-)|\[(?!=*+\[)|{_quoted(d, closed=True)})*+", re.DOTALL)
    for d in _DIALECTS
}


def quiet_line_start(code: str, before: int, dialect: Dialect = ANY) -> int:
    """A line start at or before `before` where Lua's lexer is between tokens, or 0.

    Tokens other than strings and comments hold no newline, so a line start outside
    every string and comment is a place the lexer passes between two tokens: lexing
    can start there and give the tail of the whole cell's tokens. Whether it is
    outside is decided by one match of the regex engine over the text before it
    (no Python step per token), trying a few earlier lines when it is not.
    """
    quiet = _QUIET_PREFIX[dialect]
    place = code.rfind("\n", 0, max(0, before)) + 1
    for _ in range(8):
        if place <= 0:
            return 0
        found = quiet.match(code, 0, place)
        if found is not None and found.end() == place:
            return place
        place = code.rfind("\n", 0, max(0, place - 1 - (before - place) - 4096)) + 1
    return 0


def without_quoted(code: str, dialect: Dialect = ANY) -> str:
    """`code` with every string and comment replaced by a space (the regex engine alone)."""
    return _QUOTED[dialect].sub(" ", code)


def _scan(code: str, dialect: Dialect, *, keep_comments: bool, start: int = 0) -> Iterator[Token]:
    keywords = dialect.keywords
    master = _MASTERS.get(dialect) or _master(dialect)
    n = len(code)
    i = start
    while i < n:
        found = master.match(code, i)
        if found is None:  # only whitespace left, or a character no token starts with
            space = SPACE.match(code, i)
            if space:
                i = space.end()
                continue
            token = _unfinished(code, i, dialect)
            yield token
            i = max(i + 1, token.end)
            continue
        kind = found.lastgroup
        start = found.start(kind)
        if kind == "long":
            level = found.group(found.lastindex + 1)
            end = _long_end(code, found.end(), level)
            if code.startswith("--", start):
                if keep_comments:
                    yield Token("comment", start, end, code[start:end])
            else:
                closed = code.endswith("]" + level + "]", 0, end)
                yield Token(STRING if closed else ERROR, start, end, code[start:end])
            i = end
            continue
        i = found.end()
        text = code[start:i]
        if kind == NAME and text in keywords:
            kind = KEYWORD
        if kind != "comment" or keep_comments:
            yield Token(kind, start, i, text)


def _unfinished(code: str, i: int, dialect: Dialect) -> Token:
    """An error token: an unfinished short string (to its newline) or a stray character."""
    if code[i] in "\"'":
        end = SHORT_BODY[code[i], dialect.z_escape].match(code, i + 1).end()
        return Token(ERROR, i, end, code[i:end])
    return Token(ERROR, i, i + 1, code[i])


def _long_end(code: str, body_start: int, level: str) -> int:
    """Where a long bracket opened at level `len(level)` ends (the source's end if never)."""
    close = code.find("]" + level + "]", body_start)
    return len(code) if close < 0 else close + len(level) + 2
