"""On LuaJIT, JIT-compiled loops in code reached through require/load/dofile can be interrupted."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ilupa.runtimes import available_runtimes
from ilupa.session import LuaSession

JIT_RUNTIMES = [name for name in available_runtimes() if name.startswith("luajit")]
# Long enough to outlast the interrupt by far; `done` is set only if it was not stopped.
LOOP = "for i = 1, 3e9 do t.n = t.n + 1 end t.done = true"
MODULE = f"""-- a module on package.path
local M = {{}}
function M.spin(t)
  {LOOP}
end
function M.fail()
  error("from the module")
end
return M
"""


@pytest.fixture(params=JIT_RUNTIMES)
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LuaSession]:
    (tmp_path / "spinner.lua").write_text(MODULE)
    timers: list[threading.Timer] = []
    # A signal that comes after a (failing) cell ended must not stop the test run.
    previous = signal.signal(signal.SIGINT, lambda signum, frame: None)

    def soon() -> None:
        timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
        timers.append(timer)
        timer.start()

    lua_session = LuaSession(request.param, {"soon": soon})
    lua_session.globals.folder = str(tmp_path)
    lua_session.run("package.path = folder .. '/?.lua;' .. package.path t = {n = 0}", "setup")
    yield lua_session
    for timer in timers:
        timer.join()
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize(
    "call",
    [
        "require('spinner').spin(t)",
        "dofile(folder .. '/spinner.lua').spin(t)",
        "loadfile(folder .. '/spinner.lua')().spin(t)",
        f"load({LOOP!r})()",
        f"loadstring({LOOP!r})()",
        f"local parts = {{{LOOP!r}}} load(function() return table.remove(parts) end)()",
        # Code with its own environment: the check needs no name (not even `_G`).
        f"load({LOOP!r}, 'own env', 't', {{t = t}})()",
        f"local chunk = loadstring({LOOP!r}) setfenv(chunk, {{t = t}}) chunk()",
    ],
)
def test_loops_in_loaded_code_are_interrupted(session: LuaSession, call: str) -> None:
    with pytest.raises(KeyboardInterrupt):
        session.run("py.soon() " + call, "cell")
    assert session.run("return t.done, t.n > 0", "after") == (None, True)


def test_loaded_code_keeps_its_line_numbers_and_errors(session: LuaSession) -> None:
    message = session.run("return select(2, pcall(require('spinner').fail))", "lines")[0]
    assert message.endswith("spinner.lua:7: from the module")
    assert session.run("return select(2, load('x = (', 'chunk'))", "syntax")[0].startswith(
        '[string "chunk"]:1:'
    )


def test_binary_chunks_load_unchanged(session: LuaSession) -> None:
    code = "return load(string.dump(load('local s = 0 for i = 1, 3 do s = s + i end return s')))()"
    assert session.run(code, "binary") == (6,)


def test_a_cell_cannot_remove_the_loop_checks(session: LuaSession) -> None:
    session.run("__ilupa_check = nil ffi = require('ffi')", "overwrite")
    assert session.run("return pcall(ffi.metatype, 'complex', {})", "metatype")[0] is False
    with pytest.raises(KeyboardInterrupt):
        session.run("py.soon() " + LOOP, "still checked")
    assert session.run("return t.done, t.n > 0", "after") == (None, True)


def test_code_whose_rewrite_does_not_compile_runs_as_written(session: LuaSession) -> None:
    # A chunk that does not compile either way reports its own error, not the rewrite's.
    message = session.run("return select(2, load('for i = 1, 2 do x = end'))", "bad")[0]
    assert message.startswith('[string "for i = 1, 2 do x = end"]:1:')
    assert "(0i)" not in message
