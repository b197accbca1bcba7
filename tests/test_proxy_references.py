"""Python objects in Lua behave like Lua values, and come back as themselves."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from ilupa.errors import LuaRuntimeError
from ilupa.session import LuaSession


def lua(session: LuaSession, code: str, **names: object) -> object:
    session.namespace.update(names)
    values = session.run(code, "test")
    return values[0] if len(values) == 1 else values


def test_length_operator_is_len(session: LuaSession) -> None:
    assert lua(session, "return #py.l, #py.d, #py.s", l=[1, 2, 3], d={"a": 1}, s="abcd") == (
        3,
        1,
        4,
    )


def test_sequences_are_indexed_from_zero(session: LuaSession) -> None:
    assert lua(session, "return py.l[0], py.l[2], py.l[3]", l=[10, 20, 30]) == (10, 30, None)


def test_ipairs_gives_lua_positions_with_python_order(session: LuaSession) -> None:
    code = (
        "local o = {} for i, v in ipairs(py.l) do o[#o+1] = i .. ':' .. v end"
        " return table.concat(o, ' ')"
    )
    assert lua(session, code, l=["a", "b"]) == "1:a 2:b"


def test_pairs_gives_dict_items_and_object_attributes(session: LuaSession) -> None:
    class Point:
        def __init__(self) -> None:
            self.x, self.y = 1, 2

    code = """
    local function keys(o)
      local t = {} for k, v in pairs(o) do t[#t+1] = k .. '=' .. tostring(v) end
      table.sort(t) return table.concat(t, ',')
    end
    return keys(py.d), keys(py.p)
    """
    assert lua(session, code, d={"a": 1, "b": 2}, p=Point()) == ("a=1,b=2", "x=1,y=2")


def test_tostring_is_str(session: LuaSession) -> None:
    assert lua(session, "return tostring(py.f)", f=Fraction(1, 3)) == "1/3"


def test_comparisons_use_python_operators(session: LuaSession) -> None:
    a, b = Fraction(1, 3), Fraction(1, 2)
    code = "return py.a == py.a2, py.a < py.b, py.b <= py.a, py.a ~= py.b"
    assert lua(session, code, a=a, a2=Fraction(1, 3), b=b) == (True, True, False, True)


def test_arithmetic_and_concat_use_python_operators(session: LuaSession) -> None:
    code = (
        "return tostring(py.a + py.b), tostring(py.a * 3), tostring(-py.a),"
        " py.l .. py.l, 'x=' .. py.a"
    )
    result = lua(session, code, a=Fraction(1, 3), b=Fraction(1, 6), l=[1])
    assert result[:3] == ("1/2", "1", "-1/3")
    assert result[3] == [1, 1]
    assert result[4] == "x=1/3"


def test_method_calls_with_colon_and_keyword_arguments(session: LuaSession) -> None:
    code = """
    local fb = require 'fb.python'
    py.l:append(30)
    return py.l:index(20), py.d:get('a'), py.f(1, fb.kwargs, {b = 5})
    """
    result = lua(session, code, l=[10, 20], d={"a": 1}, f=lambda a, b=0: a + b)
    assert result == (1, 1, 6)
    assert session.namespace["l"] == [10, 20, 30]


def test_numpy_scalars_arrive_as_lua_numbers(session: LuaSession) -> None:
    code = "return type(py.i), type(py.f), py.i + 1, type(py.b)"
    assert lua(session, code, i=np.int64(41), f=np.float32(0.5), b=np.bool_(True)) == (
        "number",
        "number",
        42,
        "boolean",
    )


def test_a_python_object_comes_back_as_the_same_object(session: LuaSession) -> None:
    obj = {"k": [1, 2]}
    session.globals.kept = obj
    assert lua(session, "return kept") is obj
    assert lua(session, "return py.obj['k']", obj=obj) is obj["k"]


def test_lua_functions_are_python_callables(session: LuaSession) -> None:
    square = lua(session, "return function(x) return x * x end")
    assert sorted([3, -4, 1], key=square) == [1, 3, -4]


def test_assignment_through_a_reference_changes_the_python_object(session: LuaSession) -> None:
    d: dict[str, int] = {}
    lua(session, "py.d.answer = 42; py.l[0] = 'x'", d=d, l=[None])
    assert d == {"answer": 42}
    assert session.namespace["l"] == ["x"]


def test_python_errors_become_catchable_lua_errors(session: LuaSession) -> None:
    assert lua(session, "return (pcall(function() return py.a < py.b end))", a=1j, b=2j) is False
    with pytest.raises(TypeError):
        lua(session, "return py.a < py.b", a=1j, b=2j)


def test_pairs_still_works_on_lua_tables(session: LuaSession) -> None:
    code = "local n = 0 for k, v in pairs({a = 1, b = 2}) do n = n + v end return n"
    assert lua(session, code) == 3


def test_lua_error_not_crash_on_missing_attribute_call(session: LuaSession) -> None:
    with pytest.raises(LuaRuntimeError):
        lua(session, "return py.o.nothing()", o=object())
