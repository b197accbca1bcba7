"""`require 'fb.python'`: fblualib's Lua-to-Python bridge, on ilupa's proxy layer.

fblualib (facebookarchive/fblualib, `fblualib/python`) defined this module for
Torch-era Lua code. ilupa follows its README and its `init.lua`, so that such
code runs unchanged under Python 3; docs/proxy.md lists where Python 3 or Lua
5.3+ makes a difference. The rules hold only for values that go through this
module; `py.NAME`, `-i` and `-o` keep ilupa's own (ilupa/proxy/manners.py):

- *opaque references*: `py.int`, `py.str`, `py.ref`, `py.reval`, `py.import`
  and the other constructors return references (a `Reference` here, held by a
  Lua handle in ilupa/proxy/fb_python.lua), and every operation on a reference
  (indexing, attribute reads, calls, arithmetic, `..`) returns a reference
  again, for chaining, until `py.eval(ref)` converts it;
- *Lua to Python*: numbers become `float` (integral table keys `int`), strings
  `bytes`, tables a `list` or a `dict` by fblualib's heuristic, and a table met
  twice is one Python object met twice;
- *Python to Lua* (`py.eval` only): containers are copied into tables, arrays
  become views, None is nil (`py.None` with `eval_none`);
- a Python error becomes a Lua error whose message carries the Python traceback.

Lua hands its values over in a *transport* form made by fb_python.lua, because
lupa decodes every Lua string it gives Python as UTF-8 and would refuse other
bytes: a string arrives as latin-1 text (each byte one character), a table as a
flat table `{kind, id, ...}`. `Transport` turns that form into Python values.
Every function Lua calls here returns `(True, value)` or `(False, message)`;
Lua raises the message at the caller's line, so `pcall` gets a string as it did
with fblualib. ilupa's own errors (a copy refused for memory, an interrupt) pass
through as they are.
"""

from __future__ import annotations

import importlib
import traceback
import weakref
from collections.abc import Callable, Mapping
from types import BuiltinFunctionType, MethodType, ModuleType, TracebackType
from typing import Any, Protocol

import numpy as np

from ilupa.errors import CopyError, LuaError
from ilupa.lua_types import lua_type_of
from ilupa.proxy.arrays import is_viewable
from ilupa.proxy.manners import ARGS, KWARGS


class ProxySide(Protocol):
    """What fb.python uses of the proxy layer that builds it (`ProxyLayer`, proxy/layer.py)."""

    session: Any  # its lua, references, namespace and callable_for_python

    def to_lua(self, value: Any) -> Any: ...

    def copy_to_lua(self, value: Any, what: str = ..., none: Any = None) -> Any: ...


Result = tuple[bool, Any]
"""What every function Lua calls returns: (True, value) or (False, the Lua error message)."""

PASS_THROUGH = (LuaError, CopyError)
"""ilupa's own errors (memory, copies refused) keep their Python type, as everywhere in ilupa."""


class Reference:
    """One Python object held by an fb.python reference.

    lupa turns ints, floats, strings and bytes into Lua values whenever they
    cross, so a reference to `42` needs an object of its own to stay a
    reference; every reference holds one, whatever its object.
    """

    __slots__ = ("__weakref__", "obj")

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __repr__(self) -> str:
        return f"<fb.python reference to {self.obj!r}>"


def _text(transported: str) -> bytes:
    """The bytes of a Lua string from its transport form (each byte one latin-1 character)."""
    return transported.encode("latin-1")


def _name(transported: str) -> str:
    """A Lua string used as a Python name: its bytes read as UTF-8."""
    return transported.encode("latin-1").decode("utf-8", "surrogateescape")


class Transport:
    """Python values of one conversion from Lua: a table met twice gives one object."""

    def __init__(self, callable_for_python: Callable[[Any], Any]) -> None:
        self.callable_for_python = callable_for_python
        self.done: dict[int, Any] = {}

    def value(self, v: Any) -> Any:
        """A Lua value in transport form as fblualib converts it: numbers float, strings bytes."""
        kind = type(v)
        if kind is str:
            return v.encode("latin-1")
        if kind is float or kind is int:
            return float(v)
        if kind is Reference:
            return v.obj
        lua_kind = lua_type_of(v)
        if lua_kind == "table":
            return self.table(v)
        if lua_kind == "function":
            return self.callable_for_python(v)
        return v  # None, booleans, arrays of views, ilupa's references

    def key(self, v: Any) -> Any:
        """A table key: integral numbers become int (fblualib's rule for keys), a string
        str when its bytes are UTF-8 (Python 2's `b["foo"]` found a bytes key; Python 3's
        needs str), else bytes."""
        kind = type(v)
        if kind is str:
            raw = v.encode("latin-1")
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw
        if kind is float:
            return int(v) if v.is_integer() else v
        if kind is Reference:
            return v.obj
        return v

    def table(self, t: Any) -> Any:
        """`{"l", id, item, ...}` as a list, `{"d", id, key, value, ...}` as a dict."""
        fields = dict(t.items())
        kind, identity = fields[1], fields[2]
        if identity in self.done:
            return self.done[identity]
        count = len(fields) - 2
        if kind == "l":
            items: list[Any] = []
            self.done[identity] = items  # before the items: a table may hold itself
            items.extend(self.value(fields[i]) for i in range(3, count + 3))
            return items
        mapping: dict[Any, Any] = {}
        self.done[identity] = mapping
        for i in range(3, count + 3, 2):
            mapping[self.key(fields[i])] = self.value(fields[i + 1])
        return mapping

    def names(self, t: Any, what: str) -> dict[str, Any]:
        """A table of variables (locals, keyword arguments): its string keys as names."""
        converted = self.value(t)
        if not isinstance(converted, dict):
            raise TypeError(f"{what} must be a table of names, got {type(converted).__name__}")
        names: dict[str, Any] = {}
        for key, value in converted.items():
            if not isinstance(key, bytes | str):
                raise TypeError(f"{what} must have string keys, got {key!r}")
            names[key.decode("utf-8", "surrogateescape") if isinstance(key, bytes) else key] = value
        return names


class BytesFormat:
    """`b.format(...)` as Python 2's `str.format` did it, for references to bytes.

    fblualib ran under Python 2, where `bytes` was `str` and had `format`;
    Python 3's bytes has none. The text is read as UTF-8 (undecodable bytes
    kept as they are), bytes arguments likewise, and the result is bytes again.
    """

    def __init__(self, template: bytes, method: str) -> None:
        self.template = template
        self.method = method

    def __call__(self, *args: Any, **kwargs: Any) -> bytes:
        text = _decoded(self.template)
        formatted = getattr(text, self.method)(
            *map(_decoded, args), **{k: _decoded(v) for k, v in kwargs.items()}
        )
        return formatted.encode("utf-8", "surrogateescape")


def _decoded(value: Any) -> Any:
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def _python_traceback(error: BaseException) -> str:
    """Python's own report of `error`, without the frames of this file that led to the user's
    code (`File "<string>"` for code given as text, as fblualib showed it)."""
    frames: TracebackType | None = error.__traceback__
    while (
        frames is not None
        and frames.tb_next is not None
        and frames.tb_frame.f_code.co_filename == __file__
    ):
        frames = frames.tb_next
    return "".join(traceback.format_exception(type(error), error, frames))


class FbPython:
    """The Python half of the fb.python module; ilupa/proxy/fb_python.lua is the other."""

    def __init__(self, layer: ProxySide) -> None:
        self.layer = layer
        self.none_box = Reference(None)
        self.none_handle: Any = None  # py.None's Lua handle, set by ProxyLayer after loading
        self.box_of: Callable[[Any], Any] = lambda value: None  # Lua: a handle's Reference
        self._live: weakref.WeakSet[Reference] = weakref.WeakSet()

    def lua_functions(self) -> Any:
        """The functions fb_python.lua calls, by name (each returns `Result`)."""
        names = (
            "exec",
            "eval",
            "eval_ref",
            "reval",
            "ref",
            "int",
            "float",
            "bytes",
            "unicode",
            "list",
            "tuple",
            "dict",
            "import",
            "index",
            "newindex",
            "call",
            "binary",
            "unary",
            "compare",
            "length",
            "tostring",
            "check_no_refs",
        )
        functions = {name: getattr(self, f"lua_{name}") for name in names}
        functions |= {"args": ARGS, "kwargs": KWARGS, "none_box": self.none_box}
        return self.layer.session.lua.table_from(functions)

    def connect(self, loaded: Any) -> None:
        """Take what fb_python.lua made: py.None's handle and the handle lookup."""
        self.none_handle = loaded.none
        self.box_of = loaded.box_of

    def python_object(self, value: Any) -> tuple[bool, Any]:
        """(True, its object) for an fb.python reference (a Lua handle), else (False, None)."""
        box = self.box_of(value)
        if type(box) is Reference:
            return True, box.obj
        return False, None

    # -- helpers -------------------------------------------------------------------

    def _new(self, obj: Any) -> Reference:
        """A reference to `obj`, counted among the objects Lua holds (ilupa/proxy/lifetimes.py)."""
        box = Reference(obj)
        self._live.add(box)
        self.layer.session.references.handed()
        return box

    def _transport(self) -> Transport:
        return Transport(self.layer.session.callable_for_python)

    def _guarded(self, what: str, action: Callable[[], Any]) -> Result:
        """Run `action`; a Python error becomes fblualib's Lua message with its traceback."""
        try:
            return True, action()
        except PASS_THROUGH:
            self.layer.session.references.handed()  # lupa hands Lua the exception object
            raise
        except Exception as error:  # every Python error becomes a Lua error
            return False, f"Python error: {what}\n{_python_traceback(error)}"

    def _globals(self) -> dict[str, Any]:
        namespace = self.layer.session.namespace
        return namespace if isinstance(namespace, dict) else dict(namespace)

    def _run(self, code: str, lua_locals: Any, mode: str) -> Any:
        source = _text(code).decode("utf-8")
        globals_ = self._globals()
        locals_ = globals_ if lua_locals is None else self._transport().names(lua_locals, "locals")
        if mode == "exec":
            exec(source, globals_, locals_)
            return None
        return eval(source, globals_, locals_)

    def _to_lua(self, value: Any, none: Any = None) -> Any:
        """`py.eval`'s conversion: arrays as views, containers copied (within the budget)."""
        if isinstance(value, np.ndarray) and is_viewable(value):
            return self.layer.to_lua(value)
        if value is None:
            return none
        return self.layer.copy_to_lua(value, none=none)

    # -- running code (called from Lua) --------------------------------------------

    def lua_exec(self, code: str, lua_locals: Any) -> Result:
        """`py.exec(code, locals)`: statements, with the notebook namespace as globals."""
        return self._guarded("execute Python code", lambda: self._run(code, lua_locals, "exec"))

    def lua_eval(self, code: str, lua_locals: Any, keep_none: bool) -> Result:
        """`py.eval(code, locals)` (`eval_none` when `keep_none`): the value converted to Lua."""
        ok, value = self._guarded(
            "evaluate Python code", lambda: self._run(code, lua_locals, "eval")
        )
        if not ok:
            return ok, value
        return self._guarded("convert to Lua", lambda: self._to_lua(value, self._none(keep_none)))

    def lua_eval_ref(self, box: Reference, keep_none: bool) -> Result:
        """`py.eval(ref)`: the reference's object converted to Lua."""
        return self._guarded("convert to Lua", lambda: self._to_lua(box.obj, self._none(keep_none)))

    def _none(self, keep_none: bool) -> Any:
        return self.none_handle if keep_none else None

    def lua_reval(self, code: str, lua_locals: Any) -> Result:
        """`py.reval(code, locals)`: a reference to the value."""
        return self._guarded(
            "evaluate Python code", lambda: self._new(self._run(code, lua_locals, "eval"))
        )

    # -- constructors ----------------------------------------------------------------

    def lua_ref(self, value: Any) -> Result:
        """`py.ref(x)`: a reference to `x` converted by the rules above."""
        return self._guarded("convert to Python", lambda: self._new(self._transport().value(value)))

    def lua_int(self, value: Any) -> Result:
        """`py.int(x)` and `py.long(x)` (Python 3 has one integer type)."""
        return self._guarded("convert to int", lambda: self._new(int(self._number(value))))

    def lua_float(self, value: Any) -> Result:
        return self._guarded("convert to float", lambda: self._new(float(self._number(value))))

    def _number(self, value: Any) -> Any:
        if type(value) is Reference:
            return value.obj
        if type(value) not in (int, float):
            raise TypeError(f"a number or a reference is needed, got {type(value).__name__}")
        return value

    def lua_bytes(self, value: Any) -> Result:
        """`py.bytes(s)`: the string's bytes; a reference to str is encoded as UTF-8."""

        def make() -> bytes:
            obj = self._string(value)
            return obj.encode("utf-8") if isinstance(obj, str) else obj

        return self._guarded("convert to bytes", lambda: self._new(make()))

    def lua_unicode(self, value: Any) -> Result:
        """`py.unicode(s)` and `py.str(s)`: a Python 3 str, the bytes read as UTF-8."""

        def make() -> str:
            obj = self._string(value)
            return obj.decode("utf-8") if isinstance(obj, bytes) else obj

        return self._guarded("convert to str", lambda: self._new(make()))

    def _string(self, value: Any) -> bytes | str:
        obj = value.obj if type(value) is Reference else value
        if type(value) is str:
            return _text(value)
        if not isinstance(obj, bytes | str):
            raise TypeError(f"a string or a reference to one is needed, got {type(obj).__name__}")
        return obj

    def lua_list(self, value: Any) -> Result:
        return self._guarded("convert to list", lambda: self._new(list(self._container(value))))

    def lua_tuple(self, value: Any) -> Result:
        return self._guarded("convert to tuple", lambda: self._new(tuple(self._container(value))))

    def lua_dict(self, value: Any) -> Result:
        return self._guarded("convert to dict", lambda: self._new(dict(self._container(value))))

    def _container(self, value: Any) -> Any:
        if value is None:
            raise TypeError("a table or a reference is needed, got nil")
        return self._transport().value(value)

    def lua_import(self, name: str, from_list: Any) -> Result:
        """`py.import('a.b')`: a reference to the module `a.b` (fblualib's `fromlist` given
        or not, the module named is what comes back)."""
        return self._guarded("import", lambda: self._new(importlib.import_module(_name(name))))

    # -- operations on references ----------------------------------------------------

    def lua_index(self, box: Reference, key: Any) -> Result:
        """`ref[k]` and `ref.k`: a string key is an attribute if the object has it, else an item
        (fblualib's order); a str key is tried before the bytes one, numbers are ints."""
        return self._guarded("opaque ref: lookup", lambda: self._new(self._index(box.obj, key)))

    def _index(self, obj: Any, key: Any) -> Any:
        if type(key) is not str:
            return obj[self._item_key(key)]
        name = _name(key)
        value = getattr(obj, name, _MISSING)
        if value is not _MISSING:
            return value
        if isinstance(obj, bytes) and name in ("format", "format_map"):
            return BytesFormat(obj, name)
        try:
            return obj[name]
        except (KeyError, TypeError):
            if not isinstance(obj, Mapping):
                raise
            return obj[_text(key)]

    def _item_key(self, key: Any) -> Any:
        if type(key) is float:
            return int(key)
        if type(key) is Reference:
            return key.obj
        return key

    def lua_newindex(self, box: Reference, key: Any, value: Any) -> Result:
        """`ref[k] = v`: an attribute the object has, else an item."""

        def assign() -> None:
            obj, converted = box.obj, self._transport().value(value)
            if type(key) is str:
                name = _name(key)
                if hasattr(obj, name):
                    setattr(obj, name, converted)
                elif isinstance(obj, Mapping) and _text(key) in obj:
                    obj[_text(key)] = converted
                else:
                    obj[name] = converted
            else:
                obj[self._item_key(key)] = converted

        return self._guarded("opaque ref: update", assign)

    def lua_call(self, box: Reference, count: int, *args: Any) -> Result:
        """`ref(...)` with `py.args, t` and `py.kwargs, t` spreads, as fblualib's checks."""

        def call() -> Any:
            transport = self._transport()
            function = box.obj
            positional: list[Any] = []
            keywords: dict[str, Any] = {}
            padded = list(args) + [None] * (count - len(args))
            spread, named, i = False, False, 0
            while i < len(padded):
                value = padded[i]
                if value is ARGS or value is KWARGS:
                    which = "args" if value is ARGS else "kwargs"
                    if (value is ARGS and spread) or (value is KWARGS and named):
                        raise TypeError(f"'{which}' specified twice")
                    if value is ARGS and named:
                        raise TypeError("'args' must come before kwargs")
                    if i + 1 >= len(padded) or padded[i + 1] is None:
                        raise TypeError(f"'{which}' missing argument")
                    if value is ARGS:
                        spread = True
                        positional.extend(transport.value(padded[i + 1]))
                    else:
                        named = True
                        keywords.update(self._keywords(transport, padded[i + 1]))
                    i += 2
                    continue
                if spread or named:
                    raise TypeError("regular arguments specified after args / kwargs")
                positional.append(transport.value(value))
                i += 1
            if (
                positional
                and type(function) in (MethodType, BuiltinFunctionType)
                and positional[0] is function.__self__
                and not isinstance(function.__self__, ModuleType)
                and function.__self__ is not None
            ):
                positional = positional[1:]  # ref:method(x) passes ref again
            return self._new(function(*positional, **keywords))

        return self._guarded("opaque ref: call", call)

    def _keywords(self, transport: Transport, value: Any) -> dict[str, Any]:
        if type(value) is Reference:
            if not isinstance(value.obj, Mapping):
                raise TypeError(f"kwargs must be a dict, got {type(value.obj).__name__}")
            return dict(value.obj)
        return transport.names(value, "kwargs")

    def lua_binary(self, name: str, left: Any, right: Any) -> Result:
        """Arithmetic and `..` (Python's `+`, as fblualib) of references and Lua values."""

        def apply() -> Reference:
            transport = self._transport()
            a, b = transport.value(left), transport.value(right)
            return self._new(BINARY[name](a, b))

        return self._guarded(f"ref {name}", apply)

    def lua_unary(self, name: str, value: Any) -> Result:
        operation = UNARY[name]
        return self._guarded(
            f"ref {name}", lambda: self._new(operation(self._transport().value(value)))
        )

    def lua_compare(self, name: str, left: Any, right: Any) -> Result:
        """`==`, `<`, `<=`: a Lua boolean."""

        def apply() -> bool:
            transport = self._transport()
            return bool(COMPARE[name](transport.value(left), transport.value(right)))

        return self._guarded(f"ref {name}", apply)

    def lua_length(self, box: Reference) -> Result:
        return self._guarded("ref len", lambda: len(box.obj))

    def lua_tostring(self, box: Reference) -> Result:
        """`tostring(ref)`: `str(obj)`; the bytes themselves for bytes (Python 2's str did that)."""
        obj = box.obj
        return self._guarded("ref str", lambda: obj if isinstance(obj, bytes) else str(obj))

    def lua_check_no_refs(self) -> Result:
        """`py._check_no_refs()`: no fb.python reference is alive but the module's own.

        Lua has collected before (fb_python.lua), and ilupa has released what
        Lua dropped, so what is left is still reachable from Lua.
        """
        left = [box for box in self._live if box is not self.none_box]
        if not left:
            return True, None
        shown = ", ".join(repr(box.obj) for box in left[:5])
        more = f" and {len(left) - 5} more" if len(left) > 5 else ""
        return False, f"fb.python: {len(left)} references are still alive: {shown}{more}"


_MISSING = object()

BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "idiv": lambda a, b: a // b,
    "mod": lambda a, b: a % b,
    "pow": lambda a, b: a**b,
    "band": lambda a, b: a & b,
    "bor": lambda a, b: a | b,
    "bxor": lambda a, b: a ^ b,
    "shl": lambda a, b: a << b,
    "shr": lambda a, b: a >> b,
}
UNARY: dict[str, Callable[[Any], Any]] = {"unm": lambda a: -a, "bnot": lambda a: ~a}
COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}
