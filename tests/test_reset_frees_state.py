"""`%lua_reset` frees the Lua state it replaces, with every Python object its Lua held.

A session and its `LuaRuntime` form a cycle (the runtime's references to the
session's bound methods, which Lua calls): Python's garbage collector frees
it only when nothing outside holds a part of it. ilupa's threads that serve
every run of the process (the memory watch's poller, the SIGINT watcher) are
such outside holders if they keep a run's watch or guard after the run:
their frames are roots the collector never sees through.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import weakref
from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell

from ilupa.runtimes import available_runtimes
from ilupa.session import LuaSession
from tests.conftest import lua_magics, run

RUNTIMES = available_runtimes()
SIGINT_DELAY = 0.3


class Held(dict):
    """A Python object that Lua keeps (a dict subclass, so a weak reference can watch it)."""


def apply(function, value):
    """Python code that Lua calls, calling a Lua function back."""
    return function(value)


@pytest.fixture(params=RUNTIMES)
def used_shell(request: pytest.FixtureRequest, shell: InteractiveShell) -> InteractiveShell:
    """A shell whose Lua state (on each runtime) ran cells that used Python objects,
    callbacks and displays of tables."""
    run(shell, f"%lua_reset {request.param}").raise_error()
    shell.user_ns.update(recs=[Held(name="kept")], apply=apply)
    cells = [
        # Python objects, kept by Lua
        "%%lua -n\nkept = py.recs[0]\npy.name = kept.name",
        # a Lua function called from Python: as a sort key, and from Python code Lua called
        "%%lua -n\nfunction neg(x) return -x end\nback = py.apply(neg, 3)",
        "key = %lua neg\norder = sorted([3, 1, 2], key=key)\ndel key",
        # displays of tables: one read item by item, one with a __tostring of its own
        "%%lua -n\ndisplay({1, 2, name = kept.name})\n"
        "display(setmetatable({}, {__tostring = function() return 'own' end}))",
        # long enough for the memory watch's thread to sample the run
        "%%lua -n\nlocal t0 = os.clock()\nwhile os.clock() - t0 < 0.05 do end",
    ]
    for cell in cells:
        run(shell, cell).raise_error()
    assert shell.user_ns["name"] == "kept"
    assert shell.user_ns["order"] == [3, 2, 1]
    assert run(shell, "%lua back").result == -3
    run(shell, "_ = __ = ___ = None")  # the value shown above, a reference to nothing of Lua
    return shell


def test_reset_frees_the_state_and_what_its_lua_held(used_shell: InteractiveShell) -> None:
    session = weakref.ref(lua_magics(used_shell)._session)
    kept = weakref.ref(used_shell.user_ns.pop("recs")[0])
    gc.collect()
    assert kept() is not None  # Lua's `kept` holds it
    run(used_shell, "%lua_reset").raise_error()
    gc.collect()
    assert session() is None
    assert kept() is None  # lupa's references to Python objects went with the LuaRuntime


@pytest.fixture
def sigint_soon() -> Iterator[list[threading.Timer]]:
    """Timers that send SIGINT; none is left running, and SIGINT is quiet outside runs."""
    timers: list[threading.Timer] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: None)
    yield timers
    for timer in timers:
        timer.join()
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_an_interrupted_state_is_freed_once_dropped(
    runtime: str, sigint_soon: list[threading.Timer]
) -> None:
    def soon() -> None:
        timer = threading.Timer(SIGINT_DELAY, os.kill, (os.getpid(), signal.SIGINT))
        sigint_soon.append(timer)
        timer.start()

    held = Held(name="kept")
    session = LuaSession(runtime, {"soon": soon, "held": held})
    with pytest.raises(KeyboardInterrupt) as raised:
        session.run("kept = py.held\npy.soon()\nwhile true do end", "cell")
    del raised  # its traceback's frames hold the session
    alive = weakref.ref(session)
    kept = weakref.ref(held)
    del session, held
    gc.collect()
    assert alive() is None
    assert kept() is None
