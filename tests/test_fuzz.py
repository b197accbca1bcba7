"""Hypothesis fuzzing in-process: Lua snippets (valid, broken, mutated) and value round trips.

Bounded in the suite (200 examples per test); `ILUPA_FUZZ_EXAMPLES=20000 pytest
tests/test_fuzz.py` runs longer. What a round trip preserves is in docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilupa.errors import LuaError
from ilupa.proxy import to_lua, to_python
from ilupa.session import LuaSession

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("ILUPA_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
RUNTIMES = ("luajit21", "lua54")
# What Python code reached from a snippet (`py.kept`, its items, conversions) may raise.
PYTHON_ERRORS = (TypeError, ValueError, IndexError, AttributeError, UnicodeDecodeError)
INT64 = (-(2**63), 2**63 - 1)

# Lua's grammar without loops (a generated `while true do end` would never end).
TOKENS = (
    *[
        "and",
        "break",
        "do",
        "else",
        "elseif",
        "end",
        "false",
        "function",
        "if",
        "in",
        "local",
        "nil",
        "not",
        "or",
        "return",
        "then",
        "true",
    ],
    *[
        "+",
        "-",
        "*",
        "/",
        "%",
        "^",
        "#",
        "==",
        "~=",
        "<=",
        ">=",
        "<",
        ">",
        "=",
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        ";",
        ":",
        ",",
        ".",
        "..",
        "...",
    ],
    "a",
    "b",
    "t",
    "f",
    "x",
    "1",
    "0",
    "2.5",
    "1e308",
    "0x10",
    "'s'",
    '"\\0"',
    "'\\255'",
    "[[long]]",
    "--",
    "\n",
    "error",
    "pcall",
    "tostring",
    "setmetatable",
    "py.kept",
    "#py.kept",
)
VALID = (
    "local t = {1, 2, x = 3}\nreturn t[1] + t.x",
    "local function f(a, b) return a .. b end\nreturn f('x', 'y')",
    "local ok, e = pcall(error, {code = 1})\nreturn ok, type(e)",
    "return setmetatable({}, {__index = function(_, k) return k end}).key",
    "local s = string.format('%d-%s', 3, 'x')\nreturn #s, s:upper()",
    "return py.kept[0] + #py.kept",
    "local co = coroutine.wrap(function(a) return coroutine.yield(a) end)\nreturn co(1)",
    "if 1 < 2 then return 'a' elseif false then return 'b' else return 'c' end",
)


@pytest.fixture(scope="module", params=RUNTIMES)
def session(request: pytest.FixtureRequest) -> LuaSession:
    lua_session = LuaSession(request.param, {"kept": [1, 2, 3]})
    lua_session.run("sentinel = {name = 'kept'}", "setup")
    return lua_session


# Generated code may rebind or change the list itself (`py.kept = 1`, `py.kept[0] = 2`).
ASSIGNS_KEPT = re.compile(r"py\.kept\s*(\[[^\]]*\]\s*)?=(?!=)")


def run_survives(session: LuaSession, code: str) -> None:
    """Run `code`: it may succeed or raise an ilupa.LuaError (or a Python error it caused
    in Python code); afterwards the sentinel global and the Python list are intact,
    unless the code itself assigned to the list."""
    session.namespace["kept"] = [1, 2, 3]
    with contextlib.suppress(LuaError, *PYTHON_ERRORS):
        session.run(code, "fuzz")
    (name,) = session.run("return sentinel.name", "check")
    assert name == "kept"
    if not ASSIGNS_KEPT.search(code):
        assert session.namespace["kept"] == [1, 2, 3]


def test_the_fuzzers_own_assignment_check() -> None:
    # The first is what CI's fuzzer made: `local ok, e` then `py.kept = pcall(...)`, false.
    assigning = ("local ok, e py.kept= pcall(error, {})", "py.kept [0]= 2", "x py.kept[1 + 1] = 3")
    for code in assigning:
        assert ASSIGNS_KEPT.search(code), code
    for code in ("return py.kept == 1", "return #py.kept", "t = py.kept[0]"):
        assert not ASSIGNS_KEPT.search(code), code


@FUZZ
@given(tokens=st.lists(st.sampled_from(TOKENS), max_size=30))
def test_token_soup_never_crashes_or_loses_state(session: LuaSession, tokens: list[str]) -> None:
    run_survives(session, " ".join(tokens))


@FUZZ
@given(data=st.data())
def test_mutated_programs_never_crash_or_lose_state(session: LuaSession, data: Any) -> None:
    code = data.draw(st.sampled_from(VALID))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(code)))
        action = data.draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if action == "delete":
            code = code[:position] + code[position + 1 :]
        elif action == "insert":
            code = code[:position] + data.draw(st.sampled_from(TOKENS)) + code[position:]
        else:
            code = code[:position] + code[position:][:8] + code[position:]
    if "while" in code or "repeat" in code or "goto" in code:
        return  # mutations never make loops from these programs, but stay safe
    run_survives(session, code)


SCALARS = st.one_of(
    st.booleans(),
    st.integers(*INT64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(exclude_categories=["Cs"])),
)
CONTAINERS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=5),
        st.dictionaries(st.text(min_size=1, max_size=5), inner, min_size=1, max_size=5),
    ),
    max_leaves=20,
)


def expected_scalar(value: Any, runtime: str) -> Any:
    """What a scalar becomes after Lua: on LuaJIT a number is a double, and an integral
    double that fits an int64 comes back as an int (so -0.0 becomes 0 and ints past 2**53
    are rounded)."""
    if (
        runtime.startswith("luajit")
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        number = float(value)
        fits = math.isfinite(number) and -(2.0**63) <= number < 2.0**63
        return int(number) if fits and number == int(number) else number
    return value


def same(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN and the sign of zero and int/float matter."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def expected_copy(value: Any, runtime: str) -> Any:
    if isinstance(value, list):
        return [expected_copy(v, runtime) for v in value]
    if isinstance(value, dict):
        return {k: expected_copy(v, runtime) for k, v in value.items()}
    return expected_scalar(value, runtime)


@FUZZ
@given(value=SCALARS)
def test_scalars_round_trip_through_lua(session: LuaSession, value: Any) -> None:
    identity = session.lua.eval("function(...) return ... end")
    assert same(identity(value), expected_scalar(value, session.runtime_name))


@FUZZ
@given(value=CONTAINERS)
def test_references_come_back_as_the_same_object(session: LuaSession, value: Any) -> None:
    session.namespace["fuzz_value"] = value
    (back,) = session.run("return py.fuzz_value", "fuzz")
    if isinstance(value, list | dict):
        assert back is value
    else:
        assert same(back, expected_scalar(value, session.runtime_name))


@FUZZ
@given(value=CONTAINERS)
def test_copies_round_trip(session: LuaSession, value: Any) -> None:
    back = to_python(to_lua([value], session), session)  # in a list, so scalars reach Lua too
    assert same(back, [expected_copy(value, session.runtime_name)])


@FUZZ
@given(value=st.integers(min_value=INT64[1] + 1) | st.integers(max_value=INT64[0] - 1))
def test_ints_past_int64_raise_overflow_error(session: LuaSession, value: int) -> None:
    with pytest.raises(OverflowError):
        session.lua.eval("function(x) return x end")(value)


# -- Lua run outside a cell: functions Python calls, nested cells (ilupa/cell_run.py) --

FUNCTION_BODIES = (
    "return ...",
    "return select('#', ...), ...",
    "error('from a callback')",
    "error({code = 1})",
    "error()",
    "local t = {} for i = 1, 100 do t[i] = {i, ...} end return #t",
    "return py.kept[0], #py.kept",
    "return py.kept.no_such_attribute",
    "return function(x) return x end",
    "return setmetatable({}, {__tostring = function() error('no text') end})",
    "local co = coroutine.wrap(function(...) coroutine.yield(...) end) return co(...)",
    "return tostring(...) .. '!'",
)


@FUZZ
@given(
    bodies=st.lists(st.sampled_from(FUNCTION_BODIES), min_size=1, max_size=4),
    args=st.lists(SCALARS, max_size=3),
)
def test_lua_functions_called_from_python_never_crash_or_lose_state(
    session: LuaSession, bodies: list[str], args: list[Any]
) -> None:
    """Python calls Lua functions (directly, through Python that Lua called, as keys
    of `sorted`): results or ilupa/Python errors; the state stays intact."""
    session.namespace["kept"] = [1, 2, 3]
    session.namespace["call_lua"] = lambda f, *a: f(*a)
    for body in bodies:
        (function,) = session.run(f"return function(...) {body} end", "fuzz")
        with contextlib.suppress(LuaError, *PYTHON_ERRORS):
            function(*args)
        with contextlib.suppress(LuaError, *PYTHON_ERRORS):
            session.namespace["f"] = function
            session.run("return py.call_lua(py.f, 1, 'two')", "fuzz")
        with contextlib.suppress(LuaError, *PYTHON_ERRORS):
            sorted([3, 1, 2], key=lambda x, f=function: repr(f(x)))  # repr runs no Lua
    (name,) = session.run("return sentinel.name", "check")
    assert name == "kept"
    assert session.namespace["kept"] == [1, 2, 3]
    assert not session.cell_run.running


def nested_cells(codes: list[str]) -> str:
    """Each code runs as a cell inside the one before it (Lua -> Python -> Lua)."""
    code = codes[-1]
    for level, outer in enumerate(reversed(codes[:-1]), 1):
        brackets = "=" * level
        code = f"py.nested([{brackets}[{code}]{brackets}])\n{outer}"
    return code


@FUZZ
@given(
    codes=st.lists(
        st.sampled_from((*VALID, "x = 1", "error('inner')", "py.kept[0] = 1")),
        min_size=2,
        max_size=4,
    )
)
def test_nested_cells_never_crash_or_lose_state(session: LuaSession, codes: list[str]) -> None:
    session.namespace["nested"] = lambda code: session.run(code, "nested")
    run_survives(session, nested_cells(codes))
    assert not session.cell_run.running
