"""nbconvert's HTML highlights Lua as Lua: ilupa-kernel notebooks always, `%%lua` cells on request.

The kernel's language_info (pygments_lexer "lua") reaches the notebook when it
runs, and nbconvert picks its lexer from there. In a Python notebook a cell is
highlighted with IPython's lexer, which shows a `%%lua` cell's body as plain
text; nbconvert's HighlightMagicsPreprocessor, told that `%%lua` is Lua,
switches such cells to the Lua lexer.
"""

from __future__ import annotations

import re

import pytest
from nbconvert import HTMLExporter
from traitlets.config import Config

import tests.kernel_support  # noqa: F401  (installs the kernelspec first)
from tests.notebook_helpers import execute_notebook, notebook_of

pytestmark = pytest.mark.notebook

LUA_BODY = "local total = 0 -- running sum\nfor i = 1, 3 do total = total + i end\ntotal"


def lua_tokens(html: str) -> set[tuple[str, str]]:
    """(pygments class, text) of the spans that only a Lua lexer produces for LUA_BODY."""
    spans = set(re.findall(r'<span class="(\w+)">([^<]+)</span>', html))
    wanted = {("kd", "local"), ("kr", "for"), ("kr", "do"), ("kr", "end"), ("c1", "-- running sum")}
    return spans & wanted


def test_a_notebook_run_on_the_ilupa_kernel_exports_with_lua_highlighting() -> None:
    notebook = notebook_of(LUA_BODY)
    notebook.metadata["kernelspec"] = {"name": "ilupa", "display_name": "Lua", "language": "lua"}
    execute_notebook(notebook)
    assert notebook.metadata.language_info.pygments_lexer == "lua"
    assert notebook.metadata.language_info.codemirror_mode == "lua"
    html, _ = HTMLExporter().from_notebook_node(notebook)
    assert "hl-lua" in html
    assert len(lua_tokens(html)) == 5
    assert "6" in html  # the executed cell's value is there too


def test_a_lua_magic_cell_in_a_python_notebook_is_plain_text_by_default() -> None:
    notebook = notebook_of("%load_ext ilupa", "%%lua\n" + LUA_BODY)
    execute_notebook(notebook)
    html, _ = HTMLExporter().from_notebook_node(notebook)
    assert "hl-ipython3" in html and "hl-lua" not in html
    assert lua_tokens(html) == set()


def test_highlight_magics_option_makes_lua_magic_cells_lua() -> None:
    notebook = notebook_of("%load_ext ilupa", "%%lua\n" + LUA_BODY)
    execute_notebook(notebook)
    config = Config()
    config.HighlightMagicsPreprocessor.languages = {"%%lua": "lua"}
    html, _ = HTMLExporter(config=config).from_notebook_node(notebook)
    assert len(lua_tokens(html)) == 5  # the Lua lexer's tokens (the wrapper keeps hl-ipython3)
