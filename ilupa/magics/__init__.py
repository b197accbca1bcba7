"""IPython magics that run Lua cells."""

from ilupa.magics.lua_magics import LuaMagics

__all__ = ["LuaMagics"]
