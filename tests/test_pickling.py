"""Live Lua values refuse pickling and deep copies with an error that says what to do instead.

Issue 20: the clear refusal was registered only when ilupa.dask was attached;
otherwise pickle said lupa's "no default __reduce__ due to non-trivial
__cinit__" (or "cannot pickle 'module' object" for a Lua function). Now it is
in place for every runtime ilupa loads (ilupa/pickling.py): in a shell, in a
bare LuaSession, after `%lua_reset` to a runtime first loaded then.
"""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Callable
from multiprocessing.reduction import ForkingPickler
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from ilupa.runtimes import available_runtimes
from tests.conftest import run

TABLE = "a Lua table cannot leave the Lua state that owns it"
FUNCTION = "a Lua function or coroutine cannot leave the Lua state that owns it"
WAY_OUT = "ilupa.topython(t)"

COPIERS: dict[str, Callable[[Any], object]] = {
    "pickle": pickle.dumps,
    "deepcopy": copy.deepcopy,
    "multiprocessing": ForkingPickler.dumps,
}


def lua_value(shell: InteractiveShell, expression: str) -> Any:
    """The value `x = %lua EXPRESSION` binds in Python."""
    run(shell, f"_lua_value = %lua {expression}").raise_error()
    return shell.user_ns.pop("_lua_value")


@pytest.mark.parametrize("copier", COPIERS)
def test_lua_values_of_a_cell_refuse_to_be_pickled_or_copied(
    runtime_shell: InteractiveShell, copier: str
) -> None:
    copy_of = COPIERS[copier]
    values = {
        "table": (lua_value(runtime_shell, "{1, 2, x = 3}"), TABLE),
        "function": (lua_value(runtime_shell, "function() return 1 end"), FUNCTION),
        # lupa's own function object: read out of a table, not wrapped by ilupa
        "function in a table": (lua_value(runtime_shell, "{f = print}").f, FUNCTION),
        "coroutine": (lua_value(runtime_shell, "coroutine.create(function() end)"), FUNCTION),
    }
    run(runtime_shell, "%%lua -n -o kept\nkept = {inner = {1}}").raise_error()
    values["table from -o"] = (runtime_shell.user_ns["kept"], TABLE)
    for name, (value, message) in values.items():
        with pytest.raises(TypeError) as raised:
            copy_of(value)
        assert message in str(raised.value), name
        assert WAY_OUT in str(raised.value), name
    # the values are still live and usable afterwards
    assert runtime_shell.user_ns["kept"].inner[1] == 1


LATER_RESET = """
import pickle, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("%load_ext ilupa").raise_error()
later = [r for r in {runtimes!r} if "lupa." + r not in sys.modules]
assert later, "every runtime was loaded by %load_ext already"
shell.run_cell("%lua_reset " + later[0]).raise_error()
shell.run_cell("t = %lua {{1, 2}}").raise_error()
shell.run_cell("f = %lua function() end").raise_error()
for name in "tf":
    try:
        pickle.dumps(shell.user_ns[name])
    except TypeError as error:
        print(error)
"""

BARE_SESSION = """
import pickle
from ilupa.session import LuaSession
session = LuaSession({runtime!r}, {{}})
for value in session.run("return {{1, 2}}, function() end", "In[1]"):
    try:
        pickle.dumps(value)
    except TypeError as error:
        print(error)
"""


@pytest.mark.parametrize(
    "script",
    [
        LATER_RESET.format(runtimes=available_runtimes()),
        BARE_SESSION.format(runtime=available_runtimes()[0]),
    ],
    ids=["after-a-reset-to-a-runtime-loaded-then", "a-bare-session"],
)
def test_a_fresh_process_refuses_clearly_without_ilupa_dask(script: str) -> None:
    """Nothing else in the process registered the refusal before (no ilupa.dask)."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    table, function = done.stdout.strip().splitlines()[-2:]  # after %lua_reset's own line
    assert TABLE in table and WAY_OUT in table
    assert FUNCTION in function
