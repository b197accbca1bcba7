"""The proxy layer: Python references with Lua manners, copies, fb.python, array views.

`install_proxy_layer(session)` is called by every `LuaSession`; the session's
`proxy` attribute is the `ProxyLayer` with the Python-side API.
"""

from __future__ import annotations

from typing import Any

from ilupa.lua_layer import LuaFile
from ilupa.proxy.copies import CopyError
from ilupa.proxy.layer import ProxyLayer, install_proxy_layer

LUA_FILES: tuple[LuaFile, ...] = (
    LuaFile(
        "python_references",
        __name__,
        1,
        "proxy/lifetimes.py",
        "before anything holds Python objects: lupa's reference table made strong",
    ),
    LuaFile(
        "proxy_manners",
        __name__,
        15,
        "proxy/layer.py",
        "metamethods of Python objects",
        file="manners.lua",
    ),
    LuaFile(
        "ffi_c_api",
        __name__,
        16,
        "proxy/c_api.py (LuaJIT)",
        "the C API by FFI, the GIL steps: after the manners the C-API reads fall back to",
    ),
    LuaFile(
        "ffi_boxes",
        __name__,
        17,
        "proxy/c_api.py (LuaJIT)",
        "reference boxes, their arena and lifetimes",
    ),
    LuaFile(
        "ffi_references",
        __name__,
        18,
        "proxy/c_api.py (LuaJIT)",
        "C-API reads, writes, iteration and calls on boxes",
    ),
    LuaFile("ffi_copies", __name__, 19, "proxy/c_api.py (LuaJIT)", "C-API copies, both ways"),
    LuaFile("array_views", __name__, 20, "proxy/layer.py", "numpy views"),
    LuaFile(
        "array_conversions",
        __name__,
        21,
        "proxy/layer.py",
        "fast conversions between arrays and tables",
    ),
    LuaFile("fb_python", __name__, 22, "proxy/layer.py", "require 'fb.python'"),
)

__all__ = ["CopyError", "ProxyLayer", "install_proxy_layer", "to_lua", "to_python"]


def to_python(value: Any, session: Any) -> Any:
    """A recursive Python copy of a Lua value (tables with keys 1..n become lists)."""
    return session.proxy.copy_to_python(value)


def to_lua(value: Any, session: Any) -> Any:
    """A recursive Lua copy of Python data, keeping shared and cyclic references."""
    return session.proxy.copy_to_lua(value)
