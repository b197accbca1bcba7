"""`ilupa.topython` in Lua (LuaJIT: built through the C API) against the Python copy.

Each generated Lua value is copied both ways in the same state: the Lua call of
`ilupa.topython` and `session.proxy.copy_to_python` (ilupa/proxy/copies.py's
ToPython, the copy every runtime has). They must agree on values, types, which
objects are one object (shared tables) and cycles, and on failures.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilupa.runtimes import available_runtimes
from ilupa.session import LuaSession
from tests.python_calls import python_calls_during

NUMBERS = st.one_of(
    st.integers(-(2**62), 2**62).map(str),
    st.sampled_from(
        ["0.5", "-0.0", "1/0", "-1/0", "2^53", "2^63", "-2^63", "2^64", "1e300", "3", "-7"]
    ),
)
TEXTS = st.one_of(
    # every byte as a decimal escape: a literal each Lua version reads the same
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=6).map(
        lambda s: '"' + "".join(f"\\{byte}" for byte in s.encode("utf-8")) + '"'
    ),
    st.sampled_from(['"\\255"', '"a\\0b"', '"n1"']),  # not UTF-8; a NUL; a repeat
)
SCALARS = st.one_of(NUMBERS, TEXTS, st.sampled_from(["true", "false"]))
KEYS = st.one_of(
    st.integers(1, 4).map(str),
    st.sampled_from(['"a"', '"b"', '"array"', "1.5", "-1", "0", "true"]),
)


@st.composite
def lua_programs(draw: st.DrawFn) -> str:
    """Lua code that builds `value` from a few tables, some shared, maybe a cycle."""
    count = draw(st.integers(1, 5))
    lines = [f"local t{i} = {{}}" for i in range(count)]
    for i in range(count):
        for _ in range(draw(st.integers(0, 4))):
            key = draw(KEYS)
            if draw(st.integers(0, 3)) == 0:
                value = f"t{draw(st.integers(0, count - 1))}"  # shared, or a cycle
            else:
                value = draw(SCALARS)
            lines.append(f"t{i}[{key}] = {value}")
    return "\n".join(lines) + "\nvalue = t0"


def _shape(value: Any, seen: dict[int, int]) -> Any:
    """A comparable picture of a copy: values by type and value, objects by first visit."""
    if isinstance(value, (list, dict)):
        if id(value) in seen:
            return ("seen", seen[id(value)])
        seen[id(value)] = len(seen)
        if isinstance(value, list):
            return ("list", [_shape(v, seen) for v in value])
        return (
            "dict",
            sorted((repr(k), type(k).__name__, _shape(v, seen)) for k, v in value.items()),
        )
    if isinstance(value, float) and value != value:
        return ("nan",)
    return (type(value).__name__, repr(value))


def _outcome(run: Any) -> Any:
    try:
        return ("ok", _shape(run(), {}))
    except Exception as error:  # both ways must fail alike
        return ("error", type(error).__name__)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(program=lua_programs())
def test_topython_in_lua_equals_the_python_copy(session: LuaSession, program: str) -> None:
    session.run(program, "build")
    value = session.globals.value
    from_lua = _outcome(lambda: session.run("return ilupa.topython(value)", "copy")[0])
    from_python = _outcome(lambda: session.proxy.copy_to_python(value))
    assert from_lua == from_python, program


def test_a_copy_of_records_shares_repeated_text_and_keeps_cycles(session: LuaSession) -> None:
    session.run(
        "rows = {} for i = 1, 1000 do rows[i] = {id = i, name = 'n' .. (i % 3)} end\n"
        "rows[1001] = rows\nrows[1002] = rows[5]",
        "build",
    )
    (rows,) = session.run("return ilupa.topython(rows)", "copy")
    assert rows[1000] is rows and rows[1001] is rows[4]
    assert [r["id"] for r in rows[:1000]] == list(range(1, 1001))
    assert {r["name"] for r in rows[:1000]} == {"n0", "n1", "n2"}


@pytest.mark.parametrize(
    "value",
    ["{function() end}", "{coroutine.create(function() end)}", "{[{}] = 1}", "{[true] = 1}"],
)
def test_what_the_c_api_copy_gives_up_on_is_the_python_copy_s(
    session: LuaSession, value: str
) -> None:
    session.run(f"value = {value}", "build")
    from_lua = _outcome(lambda: session.run("return ilupa.topython(value)", "copy")[0])
    assert from_lua == _outcome(lambda: session.proxy.copy_to_python(session.globals.value))


@pytest.mark.parametrize(
    "runtime", [r for r in ("luajit21", "luajit20") if r in available_runtimes()]
)
def test_on_luajit_a_copy_of_plain_data_runs_no_python_function(runtime: str) -> None:
    """The C-API copy builds every object itself: copying 5,000 records runs no more
    Python functions than the same cell without the copy."""
    session = LuaSession(runtime, {})
    session.run("rows = {} for i = 1, 5000 do rows[i] = {id = i, name = 'n' .. i} end", "b")

    without = python_calls_during(session, "local r = rows")
    with_copy = python_calls_during(session, "local r = ilupa.topython(rows)")
    assert with_copy < without + 50, (with_copy, without)
    (copied,) = session.run("return ilupa.topython(rows)", "copy")
    assert copied[4999] == {"id": 5000, "name": "n5000"}


@pytest.mark.parametrize(
    "runtime", [r for r in ("luajit21", "luajit20") if r in available_runtimes()]
)
def test_on_luajit_a_copy_stops_at_the_interrupt_and_frees_what_it_made(runtime: str) -> None:
    """The C-API copy looks for the interrupt every few thousand tables: a copy of two
    million tables started with the stop already pressed (the flag raised from Python
    inside the run, as the watcher raises it) ends with KeyboardInterrupt, sets nothing,
    and the objects it had made are freed."""
    import gc
    import sys

    session = LuaSession(runtime, {})
    session.namespace["press_stop"] = session.interrupts.interrupt
    session.run("kept = 'v' big = {} for i = 1, 2e6 do big[i] = {i} end", "build")
    gc.collect()
    blocks = sys.getallocatedblocks()
    stopped = False
    try:
        session.run("py.press_stop() copied = ilupa.topython(big)", "copy")
    except KeyboardInterrupt:
        stopped = True  # the traceback is not kept: it would hold what it names
    gc.collect()
    assert stopped
    assert sys.getallocatedblocks() - blocks < 100_000  # not 2 million lists
    assert session.run("return kept, copied, #big", "after") == ("v", None, 2_000_000)
