"""Python objects in Lua behave like Lua values, and come back as themselves."""

from __future__ import annotations

import threading
from fractions import Fraction

import numpy as np
import pytest

from ilupa.errors import LuaRuntimeError
from ilupa.runtimes import available_runtimes
from ilupa.session import LuaSession

INTEGER_OPERATOR_RUNTIMES = [r for r in available_runtimes() if r in ("lua53", "lua54", "lua55")]
SAME_TYPE_COMPARISONS = ("lua51", "luajit20", "luajit21")  # Lua 5.1 semantics


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


def test_a_tuple_read_through_py_is_the_tuple_itself(session: LuaSession) -> None:
    """The same tuple by either path. On LuaJIT a container read from another one is an
    FFI reference (cdata), and `py.t` lupa's object: equal, not raw-equal (docs/proxy.md)."""
    pair = (10, 20)
    code = (
        "local t = py.t return #t, t[0], t[1], py.d.t == t, rawequal(py.d.t, t), py.same(py.d.t, t)"
    )
    same = lambda a, b: a is b  # noqa: E731
    result = lua(session, code, t=pair, d={"t": pair}, same=same)
    luajit = session.runtime_name.startswith("luajit")
    assert result == (2, 10, 20, True, not luajit, True)


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


def test_pairs_visits_every_item_of_a_dict_with_a_none_key(session: LuaSession) -> None:
    """A None key used to reach Lua as nil, which ends a `for ... in pairs` loop there:
    `{'a': 1, None: 2, 'b': 3}` stopped after one item. It comes as a stand-in that
    prints as None and reads and writes the None entry."""
    code = """
    local seen = {}
    for k, v in pairs(py.d) do
      seen[#seen + 1] = tostring(k) .. '=' .. v
      py.d[k] = v * 10
    end
    local members = 0
    for k in pairs(py.s) do members = members + 1 end
    return table.concat(seen, ','), members
    """
    d = {"a": 1, None: 2, "b": 3}
    assert lua(session, code, d=d, s={None, 1}) == ("a=1,None=2,b=3", 2)
    assert d == {"a": 10, None: 20, "b": 30}


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


def test_every_arithmetic_operator_delegates_to_python(session: LuaSession) -> None:
    code = (
        "return tostring(py.a - py.b), tostring(py.a / py.b), tostring(py.a % py.b),"
        " tostring(py.a ^ 2), tostring(py.a * py.b), tostring(py.a + 1)"
    )
    result = lua(session, code, a=Fraction(7, 2), b=Fraction(1, 2))
    assert result == ("3", "7", "0", "49/4", "7/4", "9/2")


def test_inequality_and_less_equal_use_python_comparisons(session: LuaSession) -> None:
    code = "return py.a <= py.b, py.b <= py.a, py.a ~= py.b, py.a > py.b, py.a >= py.a"
    assert lua(session, code, a=Fraction(7, 2), b=Fraction(1, 2)) == (False, True, True, True, True)


@pytest.mark.parametrize("runtime_feature", ["floor division", "bitwise"])
@pytest.mark.parametrize("runtime", INTEGER_OPERATOR_RUNTIMES)
def test_integer_operators_of_lua_5_3_and_later(runtime: str, runtime_feature: str) -> None:
    session = LuaSession(runtime, {})
    code = {
        "floor division": "return tostring(py.a // py.b)",
        "bitwise": "return py.s & py.t, py.s | py.t, py.s ~ py.t, ~py.s, py.s << 1, py.s >> 1",
    }[runtime_feature]
    expected = {
        "floor division": ("3",),
        "bitwise": (12 & 10, 12 | 10, 12 ^ 10, ~12, 24, 6),
    }[runtime_feature]
    # Python ints arrive as Lua numbers, so wrap them to reach the metamethods
    result = lua(session, code, a=Fraction(7, 2), b=Fraction(1, 1), s=Bits(12), t=Bits(10))
    assert tuple(int(x) if isinstance(x, Bits) else x for x in result) == expected


class Bits:
    """An int-like Python object that is not converted to a Lua number."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __int__(self) -> int:
        return self.value

    def _wrap(self, other: object, op) -> Bits:
        return Bits(op(self.value, int(other)))  # type: ignore[call-overload]

    def __and__(self, other: object) -> Bits:
        return self._wrap(other, int.__and__)

    def __or__(self, other: object) -> Bits:
        return self._wrap(other, int.__or__)

    def __xor__(self, other: object) -> Bits:
        return self._wrap(other, int.__xor__)

    def __lshift__(self, other: object) -> Bits:
        return self._wrap(other, int.__lshift__)

    def __rshift__(self, other: object) -> Bits:
        return self._wrap(other, int.__rshift__)

    def __invert__(self) -> Bits:
        return Bits(~self.value)


def test_mixed_comparisons_with_lua_numbers(session: LuaSession) -> None:
    code = "return 2 < py.a, py.a <= 3"
    if session.runtime_name in SAME_TYPE_COMPARISONS:  # documented: no __lt across types
        with pytest.raises(LuaRuntimeError, match="attempt to compare number with userdata"):
            lua(session, code, a=Fraction(7, 2))
        return
    assert lua(session, code, a=Fraction(7, 2)) == (True, False)


def test_positional_and_keyword_spreads_of_fb_python(session: LuaSession) -> None:
    code = """
    local fb = require 'fb.python'
    return py.f(1, fb.args, {2, 3}, fb.kwargs, {k = 4})
    """
    assert lua(session, code, f=lambda *a, **k: [a, k]) == [(1, 2, 3), {"k": 4}]


def test_calls_with_several_results_and_nil_arguments(session: LuaSession) -> None:
    code = "local a, b = py.divmod(7, 2) return a, b, py.f(nil, 2)"
    assert lua(session, code, divmod=divmod, f=lambda x, y: (x is None, y)) == (3, 1, True, 2)


def test_numpy_scalars_of_every_kind_arrive_as_numbers(session: LuaSession) -> None:
    scalars = {
        name: np.dtype(name).type(3)
        for name in ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64")
    } | {"float16": np.float16(0.5), "float32": np.float32(0.25), "float64": np.float64(2.5)}
    session.namespace.update(scalars)
    code = "return " + ", ".join(f"type(py.{name}), py.{name} * 2" for name in scalars)
    result = session.run(code, "scalars")
    assert result[0::2] == ("number",) * len(scalars)
    assert list(result[1::2]) == [float(v) * 2 for v in scalars.values()]


def test_numpy_scalars_from_calls_and_items_are_numbers(session: LuaSession) -> None:
    code = "return type(py.a.array:sum()), py.a.array:sum(), type(py.d.k), math.floor(py.d.k)"
    result = lua(session, code, a=np.array([1, 2], dtype=np.int32), d={"k": np.float32(2.5)})
    assert result == ("number", 3, "number", 2)


def test_lua_tables_index_iterate_and_convert_in_python(session: LuaSession) -> None:
    (table,) = session.run("return {10, 20, 30, name = 'x'}", "t")
    assert (table[1], table["name"], len(table)) == (10, "x", 3)
    assert dict(table.items()) == {1: 10, 2: 20, 3: 30, "name": "x"}
    assert sorted(table.values(), key=str) == [10, 20, 30, "x"]


def test_a_lua_table_comes_back_into_lua_as_the_same_table(session: LuaSession) -> None:
    (table,) = session.run("original = {1} return original", "t")
    session.namespace["held"] = [table]
    assert session.run("return rawequal(py.held[0], original)", "t") == (True,)


def test_lua_functions_serve_as_python_callbacks(session: LuaSession) -> None:
    (on_event,) = session.run(
        "seen = {} return function(name, value) seen[#seen + 1] = name .. '=' .. value end",
        "cb",
    )
    done = threading.Event()
    timer = threading.Timer(0, lambda: (on_event("late", 2), done.set()))
    list(map(on_event, ["a", "b"], [1, 1]))
    timer.start()
    assert done.wait(10)
    assert session.run("return table.concat(seen, ',')", "cb") == ("a=1,b=1,late=2",)
