"""The proxy layer: Python references with Lua manners, copies, fb.python, array views.

`install_proxy_layer(session)` is called by every `LuaSession`; the session's
`proxy` attribute is the `ProxyLayer` with the Python-side API.
"""

from __future__ import annotations

from typing import Any

from ilupa.proxy.copies import CopyError
from ilupa.proxy.layer import ProxyLayer, install_proxy_layer

__all__ = ["CopyError", "ProxyLayer", "install_proxy_layer", "to_lua", "to_python"]


def to_python(value: Any, session: Any) -> Any:
    """A recursive Python copy of a Lua value (tables with keys 1..n become lists)."""
    return session.proxy.copy_to_python(value)


def to_lua(value: Any, session: Any) -> Any:
    """A recursive Lua copy of Python data, keeping shared and cyclic references."""
    return session.proxy.copy_to_lua(value)
