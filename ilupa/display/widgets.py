"""ipywidgets from Lua: `widgets.IntSlider{min = 0, max = 10}`, Lua callbacks.

Constructors take one Lua table (keywords by name, children or leading
arguments by position). Widgets made here are the ipywidgets classes with
callback methods that also accept Lua's `obj:method(...)` form (which passes
the widget twice) and that wrap Lua functions: a Lua callback runs inside the
output area of the cell that registered it, so its prints show there, and an
error is reported there instead of escaping into the kernel, so later
callbacks keep firing. The Lua function arrives as a `LuaFunction`, so each
call runs as a cell run (ilupa/cell_run.py): stoppable, under the memory
budget, and a memory error is the explained `LuaMemoryError`, after the
warning. Wrapped callbacks compare equal when they wrap the same
Lua function, so `unobserve(f)` and `on_click(f, true)` remove what `f` added.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import ipywidgets
from IPython import get_ipython
from IPython.display import display

from ilupa.display.lua_args import split_arguments, to_python
from ilupa.display.text import is_lua_table
from ilupa.lua_types import lua_type_of

CALLBACK_METHODS = ("observe", "unobserve", "on_click", "on_submit")


def is_lua_function(value: Any) -> bool:
    return lua_type_of(value) == "function"


class LuaCallback:
    """A Lua function called by ipywidgets; its output and errors go to `output`.

    Equal to any other LuaCallback of the same Lua function, so ipywidgets and
    traitlets, which find handlers with `==`, can remove it again.
    """

    def __init__(self, function: Any, output: ipywidgets.Output | None) -> None:
        self.function = function
        self.output = output

    @property
    def identity(self) -> str:
        # lupa hands out a new Python object, without `==`, each time a Lua function
        # crosses over; its str() names the Lua object's address, which no other live
        # Lua object shares (the callback keeps the function alive).
        return str(self.function)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LuaCallback):
            return NotImplemented
        return self.identity == other.identity

    def __hash__(self) -> int:
        return hash(self.identity)

    def __call__(self, *args: Any) -> Any:
        if self.output is None:
            return self._call(args)
        with self.output:
            return self._call(args)

    def _call(self, args: tuple[Any, ...]) -> Any:
        try:
            return self.function(*args)
        except Exception as error:
            report_callback_error(error, self.output)
            return None


def report_callback_error(error: BaseException, output: ipywidgets.Output | None) -> None:
    """Show a failed Lua callback where its user looks: its output area, else stderr."""
    text = f"Error in Lua callback: {type(error).__name__}: {error}\n"
    if output is None:
        sys.stderr.write(text)
    else:
        output.append_stderr(text)


_cell_outputs: dict[int, tuple[int, ipywidgets.Output]] = {}


def callback_output() -> ipywidgets.Output | None:
    """The running cell's output area for Lua callbacks, shown once per cell.

    Only under a kernel: a frontend shows a callback's output only inside an
    Output widget that was displayed by a cell. A terminal has no such area.
    """
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    cached = _cell_outputs.get(id(shell))
    if cached is not None and cached[0] == shell.execution_count:
        return cached[1]
    output = ipywidgets.Output()
    display(output)
    _cell_outputs[id(shell)] = (shell.execution_count, output)
    return output


def last_callback_output() -> ipywidgets.Output | None:
    """The output area most recently made for Lua callbacks in this shell, if any."""
    cached = _cell_outputs.get(id(get_ipython()))
    return cached[1] if cached is not None else None


def as_callback(function: Any, removing: bool = False) -> Any:
    """Wrap Lua functions so ipywidgets can call them safely; leave Python ones alone.

    A callback being removed only needs to compare equal: it gets no output area.
    """
    if is_lua_function(function):
        return LuaCallback(function, None if removing else callback_output())
    return function


def is_removal(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """`unobserve(f)`, `on_click(f, true)` or `on_click(f, remove=True)`."""
    if name == "unobserve":
        return True
    if name == "observe":
        return False  # its second argument is the trait names
    return bool(kwargs.get("remove", args[1] if len(args) > 1 else False))


def _callback_method(base: type, name: str) -> Callable[..., Any]:
    original = getattr(base, name)

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if args and args[0] is self:
            args = args[1:]  # Lua's widget:method(...) passes the widget again
        if args:
            args = (as_callback(args[0], is_removal(name, args, kwargs)), *args[1:])
        return original(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"ipywidgets' `{name}`, accepting Lua functions and `widget:{name}(...)`."
    return method


_lua_classes: dict[type, type] = {}


def lua_class(cls: type) -> type:
    """`cls` with Lua-friendly callback methods (cached: one subclass per class)."""
    made = _lua_classes.get(cls)
    if made is None:
        names = [name for name in CALLBACK_METHODS if hasattr(cls, name)]
        methods = {name: _callback_method(cls, name) for name in names}
        made = type(cls.__name__, (cls,), {**methods, "__module__": cls.__module__})
        _lua_classes[cls] = made
    return made


class WidgetConstructor:
    """`widgets.NAME{...}` from Lua: builds ipywidgets.NAME from one Lua table."""

    def __init__(self, cls: type) -> None:
        self.cls = lua_class(cls)
        self.__doc__ = cls.__doc__

    def __call__(self, *args: Any) -> Any:
        if len(args) == 1 and is_lua_table(args[0]):
            positional, keywords = split_arguments(args[0])
        else:
            positional, keywords = [to_python(a) for a in args], {}
        if issubclass(self.cls, ipywidgets.Box) and positional:
            positional = [positional]  # {a, b} are the box's children
        return self.cls(*positional, **keywords)


class LuaWidgets:
    """The `widgets` table of Lua: constructors by name, anything else of ipywidgets as is."""

    def __getattr__(self, name: str) -> Any:
        value = getattr(ipywidgets, name)
        if isinstance(value, type) and issubclass(value, ipywidgets.Widget):
            return WidgetConstructor(value)
        return value

    def __repr__(self) -> str:
        return f"<ipywidgets {ipywidgets.__version__} for Lua>"


def lua_interact(session: Any) -> Callable[..., Any]:
    """`interact(fn, {x = {0, 10}})` for Lua: `fn` gets one table of the current values.

    Lua tables lose their key order, so the controls' values reach `fn` by name
    in a table rather than as positional arguments.
    """

    def interact(function: Any, controls: Any = None) -> Any:
        keywords: dict[str, Any] = {}
        if controls is not None:
            for name, control in controls.items():
                keywords[str(name)] = _interact_abbreviation(control)

        def call(**values: Any) -> Any:
            try:
                with session.memory.lifted():  # lupa builds the table outside a protected call
                    values_table = session.lua.table_from(values)
                result = function(values_table)
            except Exception as error:
                report_callback_error(error, None)  # inside the interact's output area
                return None
            return result[0] if isinstance(result, tuple) else result

        call.__name__ = "lua_function"
        widget = ipywidgets.interactive(call, **keywords)
        display(widget)
        return widget

    return interact


def _interact_abbreviation(control: Any) -> Any:
    """`{0, 10}` is a (min, max) slider; a table of strings a dropdown; a widget itself."""
    value = to_python(control)
    if isinstance(value, list) and value and all(isinstance(v, int | float) for v in value):
        return tuple(value)
    return value
