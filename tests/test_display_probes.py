"""Showing a Lua value runs none of its metamethods outside a cell run.

IPython's display asks a value for about 20 special methods (`_ipython_display_`,
`_repr_mimebundle_`, `_repr_html_`, ... each after a canary name). On a lupa value
each ask was a Lua index operation: the value's `__index` ran with the GIL held and
outside ilupa's cell run, so an `__index` that loops hung the kernel for good. The
formatters now answer for lupa's types before looking at attributes
(ilupa/display/formatters.py); an `__index` that records what it is asked shows it.
The looping `__index` itself is shown in a real kernel in
tests/test_kernel_hardening.py (here it would hang).
"""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from tests.conftest import run

RECORDING = (
    "asked = {}\nrecording = {__index = function(_, k) asked[#asked + 1] = tostring(k) end}\n"
)
VALUES = {
    "table": "return setmetatable({1, 2, k = 'v'}, recording)",
    "userdata": "local u = newproxy and newproxy(true) or nil\n"
    "if u then for k, v in pairs(recording) do getmetatable(u)[k] = v end end\n"
    "return u or setmetatable({}, recording)",
    "function": "debug.setmetatable(print, recording)\nreturn print",
}


@pytest.mark.parametrize("kind", sorted(VALUES))
def test_display_asks_a_lua_value_for_no_special_method(
    runtime_shell: InteractiveShell, kind: str
) -> None:
    run(runtime_shell, "%%lua\n" + RECORDING).raise_error()
    result = run(runtime_shell, "%%lua\n" + VALUES[kind])
    result.raise_error()
    data, _ = runtime_shell.display_formatter.format(result.result)
    run(runtime_shell, "%lua debug.setmetatable(print, nil)").raise_error()
    assert "text/plain" in data
    if kind == "table":
        assert data["text/plain"] == '{1, 2, k = "v"}'  # raw fields
    assert run(runtime_shell, "%lua table.concat(asked, ' ')").result == ""


def test_unloading_restores_ipython_s_formatters(shell: InteractiveShell) -> None:
    formatter = shell.display_formatter
    before = type(formatter.ipython_display_formatter)
    run(shell, "%unload_ext ilupa").raise_error()
    assert type(formatter.ipython_display_formatter).__name__ == "IPythonDisplayFormatter"
    assert before.__name__ == "LuaAwareIPythonDisplayFormatter"
    assert not any(
        name == "_LuaObject" for _, name in formatter.formatters["text/html"].deferred_printers
    )
