"""`display`, `update_display`, `clear_output`, `display_image`, `widgets` and
`interact` as Lua globals, so Lua cells show rich output as Python cells do.

They call IPython's own display machinery: Lua tables go through the
formatters ilupa registers (HTML in a notebook, compact text in a terminal),
Python objects keep their rich reprs, and display ids work for update-in-place.
"""

from __future__ import annotations

from typing import Any, Protocol

from IPython import display as ipython_display

from ilupa.display.image import png_bytes
from ilupa.display.lua_args import options_of, to_python
from ilupa.display.reading import RunReader
from ilupa.display.widgets import LuaWidgets, lua_interact
from ilupa.lua_layer import LuaLayer

DISPLAY_OPTIONS = {"display_id", "update", "metadata"}


def display(value: Any, options: Any = None) -> Any:
    """Show `value`; `{display_id = "name"}` names the output, `update = true` replaces it.

    Returns IPython's DisplayHandle when a display id was given, else nil.
    """
    keywords = options_of(options)
    unknown = set(keywords) - DISPLAY_OPTIONS
    if unknown:
        raise ValueError(f"display: unknown option(s) {sorted(unknown)}; known: {DISPLAY_OPTIONS}")
    return ipython_display.display(value, **keywords)


def update_display(value: Any, display_id: str) -> None:
    """Replace what `display(x, {display_id = display_id})` showed with `value`."""
    ipython_display.update_display(value, display_id=display_id)


def clear_output(wait: bool = False) -> None:
    """Clear the cell's output; `clear_output(true)` waits for the next output (no flicker)."""
    ipython_display.clear_output(wait=bool(wait))


def image(values: Any, options: Any = None) -> ipython_display.Image:
    """A numpy array or Lua table of rows as an IPython PNG Image (see ilupa.display.image)."""
    keywords = options_of(options)
    return ipython_display.Image(
        data=png_bytes(to_python(values)),
        format="png",
        width=keywords.get("width"),
        height=keywords.get("height"),
    )


def display_image(values: Any, options: Any = None) -> Any:
    """Show a 2-D (grey) or 3-D (RGB/RGBA) numeric array as a PNG image.

    Options: `width`, `height` (pixels on the page) and `display_id`.
    """
    keywords = options_of(options)
    shown = image(values, options)
    display_id = keywords.get("display_id")
    if keywords.get("update"):
        ipython_display.update_display(shown, display_id=display_id)
        return None
    return ipython_display.display(shown, display_id=display_id)


class DisplayHost(Protocol):
    """What the display gets from the session that installs it (a `LuaSession`)."""

    lua: Any
    cell_run: Any
    layer: LuaLayer
    memory: Any  # `interact` lifts its budget
    display_reader: Any


def install_display(session: DisplayHost) -> None:
    """Give the session's Lua the display globals and `require 'ipywidgets'`.

    Also sets `session.display_reader`, through which IPython's display of
    the session's tables reads them (ilupa/display/reading.py).
    """
    session.display_reader = RunReader(session.lua, session.cell_run)
    session.layer.load(
        "display",
        display=display,
        update_display=update_display,
        clear_output=clear_output,
        display_image=display_image,
        widgets=LuaWidgets(),
        interact=lua_interact(session),
    )
