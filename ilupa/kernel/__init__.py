"""The `ilupa` Jupyter kernel: Lua cells by default, Python through `%%py`, one process."""

from ilupa.kernel.lua_kernel import LuaKernel

__all__ = ["LuaKernel"]
