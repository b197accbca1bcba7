"""`require 'fb.python'`: the Torch-era Lua-to-Python API, on ilupa's proxy layer.

Semantics follow fb.python's documentation: `exec(code, locals)` runs
statements, `eval(code, locals)` returns the result converted to Lua values
(containers copied into tables, arrays as views sharing memory), `reval`
returns a reference, `eval(ref)` converts a reference, and constructors
(`int`, `float`, `str`, `list`, `tuple`, `dict`, ...) build Python values from
Lua ones. Code runs with the notebook's namespace as its globals, so what
`py.exec('import json')` imports is visible to the notebook and later calls.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import numpy as np

from ilupa.proxy.arrays import is_viewable
from ilupa.proxy.manners import ARGS, KWARGS

if TYPE_CHECKING:
    from ilupa.proxy.layer import ProxyLayer


class FbPython:
    """The Python half of the fb.python module; ilupa/lua/fb_python.lua is the other."""

    def __init__(self, layer: ProxyLayer) -> None:
        self.layer = layer

    def lua_functions(self) -> Any:
        """The module's functions, as the Lua table fb_python.lua builds `fb.python` from."""
        return self.layer.session.lua.table_from(
            {
                "exec": self.exec_,
                "eval": self.eval_,
                "reval": self.reval,
                "ref": self.ref,
                "int": self.int_,
                "long": self.int_,
                "float": self.float_,
                "str": self.str_,
                "unicode": self.str_,
                "bytes": self.bytes_,
                "list": self.list_,
                "tuple": self.tuple_,
                "dict": self.dict_,
                "import": importlib.import_module,
                "args": ARGS,
                "kwargs": KWARGS,
            }
        )

    # -- running code ------------------------------------------------------------

    def exec_(self, code: str, lua_locals: Any = None) -> None:
        """Run Python statements; `lua_locals` (a Lua table) becomes their local variables."""
        exec(code, self._globals(), self._locals(lua_locals))

    def reval(self, code: str, lua_locals: Any = None) -> tuple[Any]:
        """Evaluate a Python expression and return a reference to its value."""
        value = eval(code, self._globals(), self._locals(lua_locals))
        return (self.layer.to_lua(value),)

    def eval_(self, code_or_ref: Any, lua_locals: Any = None) -> tuple[Any]:
        """Evaluate code (or take a reference) and return the value converted to Lua."""
        if isinstance(code_or_ref, str):
            value = eval(code_or_ref, self._globals(), self._locals(lua_locals))
        else:
            value = self._python(code_or_ref)
        if isinstance(value, np.ndarray) and is_viewable(value):
            return (self.layer.to_lua(value),)
        return (self.layer.copy_to_lua(value),)

    # -- constructors ------------------------------------------------------------

    def ref(self, value: Any) -> tuple[Any]:
        return (self._python(value),)

    def int_(self, value: Any) -> int:
        return int(value)

    def float_(self, value: Any) -> float:
        return float(value)

    def str_(self, value: Any) -> str:
        return value.decode() if isinstance(value, bytes) else str(value)

    def bytes_(self, value: Any) -> bytes:
        return value.encode() if isinstance(value, str) else bytes(value)

    def list_(self, value: Any) -> list[Any]:
        return list(self._sequence(value))

    def tuple_(self, value: Any) -> tuple[tuple[Any, ...]]:
        return (tuple(self._sequence(value)),)

    def dict_(self, value: Any) -> dict[Any, Any]:
        copied = self._python(value)
        if isinstance(copied, list):
            return dict(enumerate(copied, 1))
        return dict(copied or {})

    # -- helpers -------------------------------------------------------------------

    def _globals(self) -> dict[str, Any]:
        namespace = self.layer.session.namespace
        return namespace if isinstance(namespace, dict) else dict(namespace)

    def _locals(self, lua_locals: Any) -> dict[str, Any]:
        if lua_locals is None:
            return self._globals()
        return {str(k): self._python(v) for k, v in lua_locals.items()}

    def _python(self, value: Any) -> Any:
        return self.layer.copy_to_python(value)

    def _sequence(self, value: Any) -> Any:
        copied = self._python(value)
        if isinstance(copied, dict):
            return [copied[k] for k in sorted(copied)]
        return copied
