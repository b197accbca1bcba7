"""In a Python shell, Tab inside a `%%lua` cell completes Lua, with the right span."""

from __future__ import annotations

from IPython.core.completer import provisionalcompleter

from tests.conftest import make_shell


def test_lua_cell_completion_in_python_shell() -> None:
    shell = make_shell()
    code = "%%lua\nx = string.fo"
    with provisionalcompleter():
        found = [(c.start, c.end, c.text) for c in shell.Completer.completions(code, len(code))]
    assert found == [(len(code) - 2, len(code), "format")]
