"""A `%%lua` cell means what Lua means: generated chunks run in plain lupa and in a cell agree.

Each chunk runs in a fresh plain `lupa.<runtime>.LuaRuntime` and as a `%%lua`
cell of a real IPython shell (ilupa's trailing value, loop checks and checked
loading all apply). Globals, printed lines and errors (raised or not, message
and line, chunk name aside) must agree. The plain side is Lua's own reading:

- a chunk that compiles as written runs as written;
- otherwise the value starts at the last statement start at the start of a
  line or after `;` (the generator knows them; inside the final expression,
  where Lua's own statements end at a line break, as in `f 'q'` / `- a`) that
  the next token does not continue (Lua compiles none of
  the head followed by `(0)`, `{}`, `""` or `- 0` when the tail starts with
  that token) and whose head compiles; plain Lua runs `head return tail` and
  the cell must show that value;
- otherwise both fail with the same syntax error.

Bounded in the suite (`ILUPA_DIFF_EXAMPLES`, default 40 per runtime);
`ILUPA_DIFF_EXAMPLES=2000 pytest tests/test_differential_cells.py` runs longer.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from tests.conftest import discard_shell, lua_magics, make_shell, run

RUNTIMES = ("lua51", "lua54", "luajit21")
EXAMPLES = int(os.environ.get("ILUPA_DIFF_EXAMPLES", "40"))
DIFFERENTIAL = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
WATCHED = ("x", "y", "z", "n", "w", "calls", "last", "e")
# Run before every chunk, on both sides: known globals, and `print` into a list
# (plain lupa's print writes to the C stdout, which a test cannot read).
PRELUDE = """
a, b, c, s, t = 1, 2, 3, 'str', {1, 2, 3}
x, y, z, n, w, calls, last, e = nil
__out = {}
function print(...)
  local parts = {}
  for i = 1, select('#', ...) do parts[i] = tostring((select(i, ...))) end
  __out[#__out + 1] = table.concat(parts, '\\t')
end
function f(...)
  calls = (calls or 0) + 1
  last = select('#', ...)
  return 7
end
function g(v) return function() return v end end
"""
TRAILING_LINE_COMMENT = re.compile(r"--(?!\[=*\[)[^\n]*\n?\s*$")
ERROR_PLACE = re.compile(r'^(?:\[string "[^"]*"\]|In\[\d+\](?:#\d+)?):(\d+): ')


@dataclass
class Outcome:
    """What a run left behind: watched globals, printed lines, error, value."""

    globals: dict[str, Any]
    printed: list[str]
    error: str | None
    value: Any = None


def _plain_value(value: Any) -> Any:
    kind = type(value).__name__
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return value.decode() if isinstance(value, bytes) else value
    return "table" if "Table" in kind else "function" if "Function" in kind else kind


def _error_text(error: BaseException) -> str:
    first = str(error).split("\n")[0]
    return ERROR_PLACE.sub(lambda m: f"line {m.group(1)}: ", first)


def _read(lua_globals: Any) -> tuple[dict[str, Any], list[str]]:
    watched = {name: _plain_value(lua_globals[name]) for name in WATCHED}
    out = lua_globals["__out"]
    printed = [out[i] for i in range(1, len(out) + 1)] if out is not None else []
    return watched, [_plain_value(line) for line in printed]


def plain_outcome(runtime: str, chunk: str, starts: list[int]) -> Outcome:
    """The chunk as plain lupa reads it (see the module docstring).

    `starts`: where the generator began each statement and the final
    expression. For a chunk that does not compile as written, the last of them
    where Lua's statements end (`_statement_end`), that is not continued, and
    whose head compiles, is where the value starts.
    """
    module = importlib.import_module(f"lupa.{runtime}")
    lua = module.LuaRuntime()
    lua.execute(PRELUDE)
    code, shows_value = chunk, False
    try:
        lua.compile(chunk)
    except module.LuaSyntaxError as as_written:
        candidate = _value_reading(module, lua, chunk, starts)
        if candidate is None:
            return Outcome({}, [], _error_text(as_written))
        code, shows_value = candidate, True
    try:
        result = lua.execute(code)
        error = None
    except module.LuaError as failure:
        result, error = None, _error_text(failure)
    watched, printed = _read(lua.globals())
    value = _plain_value(result) if shows_value and not isinstance(result, tuple) else None
    return Outcome(watched, printed, error, value)


def _value_reading(module: Any, lua: Any, chunk: str, starts: list[int]) -> str | None:
    """`head return tail` for the value's start, or None when the chunk has no value."""
    for start in reversed(starts):
        if start and not chunk[:start].endswith(("\n", "; ")):
            continue  # as in a Python cell: the last line's value, or after the last `;`
        split = _statement_end(module, lua, chunk, start)
        head, tail = chunk[:split], chunk[split:]
        if _continues(module, lua, head, tail) or not _compiles(module, lua, head):
            continue
        candidate = head + "return " + tail
        return candidate if _compiles(module, lua, candidate) else None
    return None


def _compiles(module: Any, lua: Any, code: str) -> bool:
    try:
        lua.compile(code)
    except module.LuaSyntaxError:
        return False
    return True


def _statement_end(module: Any, lua: Any, chunk: str, split: int) -> int:
    """Where Lua's statements end inside the final expression, if they do.

    `f 'q' - a` reads, as Lua's statements, as the call `f 'q'` and then `- a`,
    which no statement can start: Lua's own reading ends the last statement
    before `-`, so the value is `- a`. The last such place wins.
    """
    for end in range(len(chunk), split, -1):
        rest = chunk[end:].lstrip()
        if not rest.startswith(("-", "~")) or rest.startswith("--"):
            continue
        before, after = chunk[:end], chunk[end:]
        if "\n" not in before[len(before.rstrip()) :] + after[: len(after) - len(rest)]:
            continue  # on the same line: one expression
        try:
            lua.compile(chunk[split:end])
            lua.compile(chunk[:end] + "return " + chunk[end:])
        except module.LuaSyntaxError:
            continue
        return end
    return split


CONTINUATION_PROBES = {"(": "(0)", "{": "{}", '"': '""', "'": '""', "[": '""', "-": "- 0"}


def _continues(module: Any, lua: Any, head: str, tail: str) -> bool:
    """True when Lua reads the tail's first token as going on with head's last statement."""
    probe = CONTINUATION_PROBES.get(tail[:1])
    if probe is None:
        return False
    # On the line of head's last token (5.1 and LuaJIT refuse `f` / `(0)`).
    last_line = TRAILING_LINE_COMMENT.sub("", head).rstrip()
    try:
        lua.compile(last_line + " " + probe)
    except module.LuaSyntaxError:  # the statement cannot go on
        return False
    return True


def cell_outcome(shell: InteractiveShell, chunk: str) -> Outcome:
    run(shell, "%%lua\n" + PRELUDE).raise_error()
    with capture_output():
        result = run(shell, "%%lua\n" + chunk)
    failure = result.error_in_exec or result.error_before_exec
    if failure is not None and not type(failure).__name__.startswith("Lua"):
        raise failure
    error = None if failure is None else _error_text(failure)
    watched, printed = _read(lua_magics(shell).session.globals)
    value = None if isinstance(result.result, tuple) else _plain_value(result.result)
    return Outcome(watched, printed, error, value)


def assert_agree(runtime: str, shell: InteractiveShell, chunk: str, starts: list[int]) -> None:
    if not chunk.endswith("\n"):
        chunk += "\n"  # what IPython hands a cell magic, so plain Lua reads the same text
    # The cell's first line is `%%lua`, and errors count lines as the editor shows
    # them, so plain Lua reads the chunk one line down (a leading newline).
    expected = plain_outcome(runtime, "\n" + chunk, [start + 1 for start in starts])
    got = cell_outcome(shell, chunk)
    if expected.error is not None and expected.globals == {}:  # a syntax error: nothing ran
        assert got.error == expected.error, chunk
        return
    assert (got.error, got.printed, got.globals) == (
        expected.error,
        expected.printed,
        expected.globals,
    ), chunk
    if expected.value is not None:
        assert got.value == expected.value, chunk


@pytest.fixture(params=RUNTIMES, scope="module")
def cell_shell(request: pytest.FixtureRequest) -> Iterator[tuple[str, InteractiveShell]]:
    shell = make_shell()
    run(shell, f"%lua_reset {request.param}").raise_error()
    yield request.param, shell
    discard_shell()


# -- the table, as explicit examples -----------------------------------------------

UPVALUES_60 = (
    "local " + ", ".join(f"u{i}" for i in range(60)) + " = " + ", ".join(["1"] * 60) + "\n"
    "function h()\n  local sum = 0\n  for i = 1, 2 do sum = sum + "
    + " + ".join(f"u{i}" for i in range(60))
    + " end\n  return sum\nend\nx = h()"
)
LOCALS_196 = (
    "local " + ", ".join(f"l{i}" for i in range(196)) + "\nfor i = 1, 3 do x = (x or 0) + i end"
)
# (statements, final expression or ""): the cell is their concatenation.
SEEDS = [
    ("x = 10\n  - 1", ""),
    ("y = f\n{1}", ""),
    ("z = f\n'abc'", ""),
    ("z = f\n(b)", ""),
    ("x = 1\n", "f\n'abc'"),
    ("x = 1\n", "f\n(b)"),
    ('y = "a\\z\n   do b"', ""),
    ("e = {}\nload('for i = 1, 3 do x = (x or 0) + i end', 'c', 't', e)()\ny = e.x", ""),
    (
        "e = {}\nlocal h = loadstring('for i = 1, 3 do x = (x or 0) + i end')\n"
        "setfenv(h, e) h() y = e.x",
        "",
    ),
    (UPVALUES_60, ""),
    (LOCALS_196, ""),
    ("local goto = true\nx = goto", ""),
    ("local goto\nx = 1", ""),
    ("__ilupa_check = nil\nfor i = 1, 3 do x = i end", ""),
    ("x = 1\n", "{\n" + "1,\n" * 2000 + "}"),
    ("x = 2\n", "0\n" + "+ 1\n" * 2000),
    ("y = {}\n", "{1, 2}"),
    ("local total = a * b\n- c\nx = total", ""),
    ("x = 1; ", "x + 1"),
    ("for i = 1, 3 do if i == 2 then goto continue end x = i ::continue:: end", ""),
    ("y = [==[\n]] do x = 1 end\n]==] x = #y", ""),
    ("--[[ do\n]] x = 1 -- do\ny = 'do' .. [[ repeat ]]", ""),
    ("local function r(k) if k == 0 then return 'done' end return r(k - 1) end\nx = r(50)", ""),
]


@pytest.mark.parametrize(("head", "tail"), SEEDS)
def test_seed_cells_mean_what_lua_means(
    cell_shell: tuple[str, InteractiveShell], head: str, tail: str
) -> None:
    runtime, shell = cell_shell
    assert_agree(runtime, shell, head + tail, [0, len(head)] if tail else [0])


# -- generated chunks ------------------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "c", "x", "s", "t"])
NUMBERS = st.sampled_from(["1", "2.5", "0x10", "1e2", "3", "0.5"])
STRINGS = st.sampled_from(
    [
        "'q'",
        '"d o"',
        "[[do end]]",
        "[==[ ]] repeat ]==]",
        '"a\\z\n   do b"',
        "'\\65\\n'",
        '"x\\\ny"',
        "[=[\n-- not a comment\n]=]",
    ]
)
SPACES = st.sampled_from([" ", "\n", "\n  ", " -- note do\n", " --[[ do ]] ", "\n--[==[\n]==]\n"])
BINARY = st.sampled_from(["+", "-", "*", "..", "==", "<", "and", "or"])


def expressions(depth: int = 2) -> st.SearchStrategy[str]:
    atoms = st.one_of(NAMES, NUMBERS, STRINGS, st.just("{1, 2}"), st.just("nil"))
    if depth == 0:
        return atoms
    inner = expressions(depth - 1)
    return st.one_of(
        atoms,
        st.builds(lambda lhs, op, sp, rhs: f"{lhs}{sp}{op} {rhs}", inner, BINARY, SPACES, inner),
        st.builds(lambda sp, e: f"f{sp}({e})", SPACES, inner),
        st.builds(lambda sp, lit: f"f{sp}{lit}", SPACES, STRINGS),
        st.builds(lambda sp: f"f{sp}{{1}}", SPACES),
        st.builds(lambda e: f"({e})", inner),
        st.builds(lambda e: f"-{e}", inner),
        st.builds(lambda e: f"g({e})()", inner),
    )


def statements() -> st.SearchStrategy[str]:
    value = expressions()
    target = st.sampled_from(["x", "y", "z", "w"])
    return st.one_of(
        st.builds(lambda t, sp, v: f"{t} ={sp}{v}", target, SPACES, value),
        st.builds(lambda v: f"local l = {v}", value),
        st.builds(lambda v: f"f({v})", value),
        st.builds(lambda v: f"print(type({v}))", value),
        st.just("print(a, s)"),
        st.builds(lambda v: f"if a then x = {v} end", value),
        st.just("for i = 1, 3 do n = (n or 0) + i end"),
        st.just("n = 0 while n < 3 do n = n + 1 end"),
        st.just("repeat n = (n or 0) + 1 until n > 2"),
        st.builds(lambda v: f"do local d = {v} end", value),
        st.just("for i = 1, 3 do if i == 2 then goto skip end n = i ::skip:: end"),
        st.just("local k = 0 ::top:: k = k + 1 if k < 3 then goto top end n = k"),
        st.just("for _, v in ipairs(t) do w = (w or 0) + v end"),
    )


@st.composite
def chunks(draw: st.DrawFn) -> tuple[str, list[int]]:
    """A chunk and where each of its statements (and its final expression) starts."""
    body = draw(st.lists(statements(), min_size=0, max_size=4))
    code, starts = "", []
    for statement in body:
        starts.append(len(code))
        code += statement + draw(st.sampled_from(["\n", " ", "; ", "\n\n", " -- c\n"]))
    if not body or draw(st.booleans()):
        starts.append(len(code))
        code += draw(expressions())
    return code, starts


@DIFFERENTIAL
@given(chunk=chunks())
def test_generated_cells_mean_what_lua_means(
    cell_shell: tuple[str, InteractiveShell], chunk: tuple[str, list[int]]
) -> None:
    runtime, shell = cell_shell
    assert_agree(runtime, shell, *chunk)
