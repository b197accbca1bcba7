"""Data frames both ways: pandas, Arrow and polars columns read in Lua without a copy
(`columns.py`, `text_columns.lua`), and Lua records or columns built into a pandas
DataFrame (`building.py`, `frame_building.lua`). pandas and pyarrow are imported only
when such an object reaches Lua or a frame is asked for."""

from __future__ import annotations

from typing import Any

from ilupa.lua_layer import LuaFile

LUA_FILES: tuple[LuaFile, ...] = (
    LuaFile(
        "text_columns",
        __name__,
        24,
        "frames/layer.py",
        "ilupa.column: strings of a text column, after the proxy layer and the display",
    ),
    LuaFile(
        "frame_building",
        __name__,
        25,
        "frames/layer.py",
        "ilupa.frame: the Lua pass over records or columns",
    ),
)


def to_frame(table: Any, session: Any, columns: Any = None) -> Any:
    """A pandas DataFrame of a Lua table of records or of columns (as `ilupa.frame` in Lua)."""
    return session.frames.frame(table, columns)
