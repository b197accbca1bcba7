"""What Lua's metamethods on Python objects do, decided in Python.

ilupa extends lupa's own metatable for Python objects (see
ilupa/proxy/manners.lua) so that `#obj`, `pairs`, `ipairs`, `==`, `<`,
arithmetic, `..` and `obj:method()` behave in Lua as they do for Lua values,
while the object itself (not a copy, not a wrapper) is what Lua holds.
Indexing follows the owner: Python sequences are 0-based from Lua too.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from types import BuiltinFunctionType, MethodType, ModuleType
from typing import Any

BINARY_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    name: getattr(operator, name)
    for name in (
        "add",
        "sub",
        "mul",
        "truediv",
        "floordiv",
        "mod",
        "pow",
        "and_",
        "or_",
        "xor",
        "lshift",
        "rshift",
    )
}
UNARY_OPERATORS: dict[str, Callable[[Any], Any]] = {"neg": operator.neg, "invert": operator.invert}
COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "lt": operator.lt,
    "le": operator.le,
}
MISSING_ITEM = (KeyError, IndexError)
SIMPLE_TYPES = frozenset({str, int, float, bool, bytes, type(None)})
"""Exact types Lua gets as plain values (lupa converts them): nothing for `to_lua` to do."""
SEQUENCE_TYPES = (list, tuple)
CONTAINER_TYPES = frozenset({dict, list, tuple})
"""Exact types Lua holds by reference with no conversion (no view, no number)."""
BOUND_CALLABLE_TYPES = frozenset({MethodType, BuiltinFunctionType})
"""Exact types of callables that may be bound to the first argument (both are final types)."""
_ABSENT = object()


class NoneKey:
    """What `pairs` gives Lua for a Python `None` key (`{None: 2}`): Lua has no nil key.

    A nil key would end Lua's `for k, v in pairs(d)` loop at that item, silently
    dropping the rest. This one object stands in for None instead: it prints
    as `None`, and indexing a Python object with it (`d[k]`, `d[k] = v`) uses
    None, so a loop that reads or writes back through its keys works.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "None"

    __str__ = __repr__


NONE_KEY = NoneKey()


class CallMarker:
    """fb.python's `py.args` / `py.kwargs`: the next argument is spread into the call."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"py.{self.name}"


ARGS = CallMarker("args")
KWARGS = CallMarker("kwargs")


class Manners:
    """The operations Lua's metatable for Python objects calls back into.

    `to_lua` turns a Python result into what Lua should see (numpy scalars
    become numbers, numpy arrays become views); `lua_table_items` reads a Lua
    table given as spread arguments; `on_raise` counts an exception that a
    call is about to raise into Lua (lupa hands Lua the exception object);
    `on_handed` counts a container read by `index` (both feed the batches in
    ilupa/proxy/lifetimes.py); `from_lua` turns a Lua function that Python
    receives (an argument, a value stored into a Python object) into one that
    runs as a cell run when Python calls it (ilupa/lua_function.py).

    A `LuaSession` makes its Manners before its `LuaRuntime`, because reads
    (`obj[key]`, `obj.name`) reach `index` straight from lupa's own C
    `__index` (see `lupa_attribute_handlers`); the proxy layer then connects
    the conversions with `connect`. Until then values cross unchanged.
    """

    def __init__(
        self,
        to_lua: Callable[[Any], Any] = lambda value: value,
        lua_table_items: Callable[[Any], list[tuple[Any, Any]]] = lambda table: [],
        on_raise: Callable[[], None] = lambda: None,
        on_handed: Callable[[], None] = lambda: None,
        from_lua: Callable[[Any], Any] = lambda value: value,
    ) -> None:
        # the Lua column `ipairs` walks instead of a Python iterator, or None (ilupa/frames)
        self.fast_ipairs: Callable[[Any], Any] | None = None
        self.connect(to_lua, lua_table_items, on_raise, on_handed, from_lua)

    def connect(
        self,
        to_lua: Callable[[Any], Any],
        lua_table_items: Callable[[Any], list[tuple[Any, Any]]],
        on_raise: Callable[[], None],
        on_handed: Callable[[], None],
        from_lua: Callable[[Any], Any] = lambda value: value,
    ) -> None:
        """Give the conversions of a session's proxy layer (made after the runtime).

        `on_handed` counts a dict, list or tuple that `index` hands to Lua
        as it is (by reference, as `to_lua` would, without its other checks).
        """
        self.to_lua = to_lua
        self.lua_table_items = lua_table_items
        self.on_raise = on_raise
        self.on_handed = on_handed
        self.from_lua = from_lua

    def lupa_attribute_handlers(self) -> tuple[Callable[[Any, Any], Any], None]:
        """`LuaRuntime(attribute_handlers=...)`: lupa's C `__index` calls `index` directly.

        That is one Python call per read with no Lua function in between and
        no argument tuple (lupa's `__call` route costs about twice as much);
        lupa pushes the returned value as one value, tuples included.
        Writes stay with proxy_manners.lua, which turns array views back into
        their arrays first.
        """
        return (self.index, None)

    def lua_operations(self) -> dict[str, Callable[..., Any]]:
        """The callables proxy_manners.lua binds to metamethods, by name.

        `index` here is the call form (a 1-tuple result, for lupa's `__call`);
        a session's runtime reads through `lupa_attribute_handlers` instead.
        """
        return {
            "index": self.index_as_call,
            "newindex": self.newindex,
            "call": self.call,
            "call_1": self.call_1,
            "call_2": self.call_2,
            "length": len,
            "binary": self.binary,
            "unary": self.unary,
            "compare": compare,
            "pairs_of": self.pairs_of,
            "ipairs_of": self.ipairs_of,
            "step": step,
        }

    def index(self, obj: Any, key: Any) -> Any:
        """`obj[key]` from Lua: items first, attributes for names; missing is nil.

        Exact dicts, lists and tuples take a short path (one lookup, no
        `hasattr`); anything else, and a name that is no item, the general one.
        """
        kind = type(obj)
        if kind is dict:
            value = obj.get(key, _ABSENT)
            if value is _ABSENT:
                if key is NONE_KEY:
                    return self.index(obj, None)
                return self.to_lua(getattr(obj, key, None)) if type(key) is str else None
        elif kind in SEQUENCE_TYPES and type(key) is int:
            try:
                value = obj[key]
            except IndexError:
                return None
        else:
            return self._index_any(obj, key)
        kind = type(value)
        if kind in SIMPLE_TYPES:
            return value
        if kind in CONTAINER_TYPES:
            self.on_handed()
            return value
        return self.to_lua(value)

    def _index_any(self, obj: Any, key: Any) -> Any:
        if key is NONE_KEY:
            key = None
        if hasattr(obj, "__getitem__") and not isinstance(obj, type):
            try:
                return self.to_lua(obj[key])
            except MISSING_ITEM:
                if not isinstance(key, str):
                    return None
            except TypeError:
                if not isinstance(key, str):
                    raise
        if isinstance(key, str):
            return self.to_lua(getattr(obj, key, None))
        raise TypeError(f"cannot index a Python {type(obj).__name__} with {key!r}")

    def index_as_call(self, obj: Any, key: Any) -> tuple[Any]:
        """`index` for lupa's `__call` route: a 1-tuple, so that a tuple value is not unpacked."""
        return (self.index(obj, key),)

    def newindex(self, obj: Any, key: Any, value: Any) -> None:
        """`obj[key] = value` from Lua: item assignment for containers, else an attribute."""
        value = self.from_lua(value)
        if key is NONE_KEY:
            key = None
        kind = type(obj)
        if kind is dict:
            if value is None:
                obj.pop(key, None)  # Lua's `t[k] = nil` removes the key
            else:
                obj[key] = value
            return
        if kind is list and type(key) is int:
            obj[key] = value
            return
        if hasattr(obj, "__setitem__") and not (isinstance(key, str) and _is_attribute(obj, key)):
            if value is None and isinstance(obj, Mapping):
                obj.pop(key, None)  # Lua's `t[k] = nil` removes the key
            else:
                obj[key] = value
        elif isinstance(key, str):
            setattr(obj, key, value)
        else:
            raise TypeError(f"cannot set {key!r} on a Python {type(obj).__name__}")

    def call(self, function: Any, count: int, *args: Any) -> Any:
        """`f(...)` and `obj:method(...)` from Lua, with fb.python's args/kwargs markers.

        `obj:method(x)` reaches here as `method(obj, x)` with `method` already
        bound to `obj`; the repeated `obj` is dropped. A call with no markers
        and a plain result takes a short path.
        """
        args = tuple(map(self.from_lua, args))
        for value in args:
            if value is ARGS or value is KWARGS:
                return self._call_spread(function, count, args)
        if len(args) < count:
            args += (None,) * (count - len(args))
        if (
            args
            and type(function) in BOUND_CALLABLE_TYPES
            and function.__self__ is args[0]
            and _is_bound_self(args[0])
        ):
            args = args[1:]
        try:
            result = function(*args)
        except BaseException:
            self.on_raise()
            raise
        return self.to_lua_results(result)

    def call_1(self, function: Any, a: Any) -> Any:
        """`call` with one argument, as Lua calls it most: no argument tuple to unpack."""
        a = self.from_lua(a)
        if a is ARGS or a is KWARGS:
            return self._call_spread(function, 1, (a,))
        bound = type(function) in BOUND_CALLABLE_TYPES and function.__self__ is a
        try:
            result = function() if bound and _is_bound_self(a) else function(a)
        except BaseException:
            self.on_raise()
            raise
        return self.to_lua_results(result)

    def call_2(self, function: Any, a: Any, b: Any) -> Any:
        """`call` with two arguments (`obj:method(x)` among them)."""
        from_lua = self.from_lua
        a, b = from_lua(a), from_lua(b)
        if a is ARGS or a is KWARGS or b is ARGS or b is KWARGS:
            return self._call_spread(function, 2, (a, b))
        bound = type(function) in BOUND_CALLABLE_TYPES and function.__self__ is a
        try:
            result = function(b) if bound and _is_bound_self(a) else function(a, b)
        except BaseException:
            self.on_raise()
            raise
        return self.to_lua_results(result)

    def _call_spread(self, function: Any, count: int, args: tuple[Any, ...]) -> Any:
        positional = list(args) + [None] * (count - len(args))
        if (
            positional
            and type(function) in BOUND_CALLABLE_TYPES
            and function.__self__ is positional[0]
            and _is_bound_self(positional[0])
        ):
            positional = positional[1:]
        call_args, call_kwargs = self._spread(positional)
        try:
            result = function(*call_args, **call_kwargs)
        except BaseException:
            self.on_raise()
            raise
        return self.to_lua_results(result)

    def to_lua_results(self, result: Any) -> Any:
        """A call's result as Lua gets it: plain values as they are, a tuple as several."""
        if type(result) in SIMPLE_TYPES:
            return result
        if isinstance(result, tuple) and type(result) is tuple:
            return tuple(self.to_lua(value) for value in result)
        return self.to_lua(result)

    def _spread(self, values: list[Any]) -> tuple[list[Any], dict[str, Any]]:
        call_args: list[Any] = []
        call_kwargs: dict[str, Any] = {}
        position = 0
        while position < len(values):
            value = values[position]
            if value is ARGS or value is KWARGS:
                if position + 1 >= len(values):
                    raise TypeError(f"{value!r} must be followed by a table")
                spread = values[position + 1]
                items = self.lua_table_items(spread) if spread is not None else []
                if value is ARGS:
                    call_args.extend(v for _, v in sorted(items, key=lambda kv: kv[0]))
                else:
                    call_kwargs.update({str(k): v for k, v in items})
                position += 2
            else:
                call_args.append(value)
                position += 1
        return call_args, call_kwargs

    def binary(self, name: str, left: Any, right: Any) -> Any:
        """Arithmetic and `..` with Python's operators; `..` with a string joins text."""
        if name == "concat":
            if isinstance(left, str | int | float) or isinstance(right, str | int | float):
                return _lua_text(left) + _lua_text(right)
            return self.to_lua(operator.add(left, right))
        return self.to_lua(BINARY_OPERATORS[name](left, right))

    def unary(self, name: str, value: Any) -> Any:
        return self.to_lua(UNARY_OPERATORS[name](value))

    def pairs_of(self, obj: Any) -> Iterator[tuple[Any, Any]]:
        """`pairs(obj)`: a mapping's items, a sequence's (0-based index, value), else attributes.

        A `None` key (or set member) comes as `NONE_KEY`: as nil it would end the loop.
        """
        to_lua = self.to_lua

        def key_of(k: Any) -> Any:
            return NONE_KEY if k is None else to_lua(k)

        if isinstance(obj, Mapping) or (hasattr(obj, "items") and callable(obj.items)):
            return ((key_of(k), to_lua(v)) for k, v in obj.items())
        if isinstance(obj, set | frozenset):
            return ((key_of(v), True) for v in obj)
        if hasattr(obj, "__len__") and hasattr(obj, "__getitem__"):
            return ((i, to_lua(v)) for i, v in enumerate(obj))
        if hasattr(obj, "__dict__"):
            return ((k, to_lua(v)) for k, v in vars(obj).items())
        return ((i, to_lua(v)) for i, v in enumerate(iter(obj)))

    def ipairs_of(self, obj: Any) -> Any:
        """`ipairs(obj)`: Lua positions 1..n with the values in Python's order.

        For a column that Lua can read in memory (`fast_ipairs`, set by
        ilupa/frames), `(None, column)`: manners.lua walks the column instead.
        """
        if self.fast_ipairs is not None:
            column = self.fast_ipairs(obj)
            if column is not None:
                return None, column
        to_lua = self.to_lua
        if isinstance(obj, Mapping):
            return _mapping_positions(obj, to_lua)
        return ((i, to_lua(v)) for i, v in enumerate(obj, 1))


def _mapping_positions(obj: Mapping[Any, Any], to_lua: Callable[[Any], Any]) -> Iterator[Any]:
    position = 1
    while position in obj:
        yield position, to_lua(obj[position])
        position += 1


def step(iterator: Iterator[tuple[Any, Any]]) -> tuple[Any, Any] | None:
    """One step of a pairs/ipairs loop; None (nil) ends it."""
    return next(iterator, None)


def length(obj: Any) -> int:
    """`#obj`: Python's len() (Lua calls `len` itself; kept for callers of this name)."""
    return len(obj)


def _is_bound_self(first: Any) -> bool:
    """A method's `__self__` that is the first argument is dropped, unless a module's or None.

    `obj:method(x)` passes `obj` again; `math.sqrt`'s `__self__` is the module.
    """
    return first is not None and not isinstance(first, ModuleType)


def compare(name: str, left: Any, right: Any) -> bool:
    """`==`, `<`, `<=` with Python's comparisons, always a Lua boolean."""
    return bool(COMPARISONS[name](left, right))


def _is_attribute(obj: Any, key: str) -> bool:
    return not isinstance(obj, Mapping) and hasattr(type(obj), key)


def _lua_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)
