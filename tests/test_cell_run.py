"""One cell-run context for every call into Lua (ilupa/cell_run.py), in process.

Nesting (Lua -> Python -> Lua), SIGINT delivery and the interrupt's error, Lua
functions handed to Python (`LuaFunction`), and memory errors in widget callbacks.
Process aborts and hangs go through real kernels in the fault corpus
(tests/fault_corpus/callbacks.py).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.utils.capture import capture_output

from ilupa.errors import LuaMemoryError, LuaRuntimeError
from ilupa.lua_function import LuaFunction
from ilupa.runtimes import available_runtimes
from ilupa.session import LuaSession
from tests.conftest import lua_magics, run

DELAY = 0.3
BUDGET_RUNTIMES = [r for r in available_runtimes() if r != "luajit20"]


@pytest.fixture(params=available_runtimes())
def session(request: pytest.FixtureRequest) -> Iterator[LuaSession]:
    timers: list[threading.Timer] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: None)

    def soon() -> None:
        timer = threading.Timer(DELAY, os.kill, (os.getpid(), signal.SIGINT))
        timers.append(timer)
        timer.start()

    namespace: dict[str, Any] = {"soon": soon}
    lua_session = LuaSession(request.param, namespace)
    namespace["nested"] = lambda code: lua_session.run(code, "nested")
    yield lua_session
    for timer in timers:
        timer.join()
    signal.signal(signal.SIGINT, previous)


def interrupted(session: LuaSession, code: str, chunk: str = "cell") -> KeyboardInterrupt:
    with pytest.raises(KeyboardInterrupt) as raised:
        session.run(code, chunk)
    return raised.value


def test_a_nested_cell_leaves_the_outer_cell_stoppable(session: LuaSession) -> None:
    code = "n = 0\npy.nested('inner = 1')\npy.soon()\nwhile true do n = n + 1 end"
    error = interrupted(session, code)
    assert str(error).startswith("cell:4: interrupted")
    assert session.run("return inner, n > 0", "after") == (1, True)


def test_one_sigint_is_one_interrupt_and_the_wake_up_fd_comes_back(
    session: LuaSession,
) -> None:
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    signal.set_wakeup_fd(write_fd)
    calls = []
    interrupt = session.interrupts.interrupt

    def counting() -> None:
        calls.append(1)
        interrupt()

    session.interrupts.interrupt = counting  # type: ignore[method-assign]
    try:
        code = "for i = 1, 3 do py.nested('x = 1') end\npy.soon()\nwhile true do end"
        interrupted(session, code)
        # The watcher thread and the Python-level handler each pass the one signal on.
        assert 1 <= len(calls) <= 2
        assert signal.set_wakeup_fd(-1) == write_fd
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_the_interrupt_names_the_cell_and_line_where_lua_stopped(session: LuaSession) -> None:
    error = interrupted(session, "local n = 0\npy.soon()\nwhile true do n = n + 1 end", "In[7]")
    assert str(error) == "In[7]:3: interrupted\n    while true do n = n + 1 end"
    rendered = "\n".join(error._render_traceback_())  # type: ignore[attr-defined]
    assert "in In[7], line 3" in rendered
    assert ".py" not in rendered  # no Python frames of ilupa's


def test_a_lua_function_called_from_python_is_stopped_by_sigint(session: LuaSession) -> None:
    (spin,) = session.run("return function() local n = 0 while true do n = n + 1 end end", "In[2]")
    assert isinstance(spin, LuaFunction)
    session.namespace["soon"]()
    with pytest.raises(KeyboardInterrupt, match=r"^In\[2\]:1: interrupted"):
        spin()
    assert session.run("return 1 + 1", "after") == (2,)


def test_lua_functions_handed_to_python_keep_lua_semantics(session: LuaSession) -> None:
    session.namespace["same"] = lambda value: value
    (f, g, back) = session.run(
        "function twice(x) return x * 2, x end\n"
        "return twice, twice, rawequal(py.same(twice), twice)",
        "In[1]",
    )
    assert isinstance(f, LuaFunction) and f == g and hash(f) == hash(g)
    assert back is True
    assert f(4) == (8, 4)
    assert sorted([3, 1, 2], key=lambda x: f(-x)[0]) == [3, 2, 1]
    session.namespace["kept"] = None
    session.run("py.kept = twice", "In[2]")
    assert session.namespace["kept"] == f
    assert session.run("return rawequal(py.kept, twice)", "In[3]") == (True,)
    (failing,) = session.run("return function() error('from lua') end", "In[4]")
    with pytest.raises(LuaRuntimeError, match="In\\[4\\]:1: from lua"):
        failing()


@pytest.mark.parametrize("runtime", BUDGET_RUNTIMES)
def test_a_widget_observer_out_of_memory_warns_then_reports_the_error(shell, runtime) -> None:
    run(shell, f"%lua_reset {runtime}").raise_error()
    run(shell, "%config LuaMagics.memory_limit = '64MB'").raise_error()
    run(
        shell,
        "%%lua -n\nkept = {}\nslider = widgets.IntSlider{max = 1000}\n"
        "slider:observe(function(c) for i = 1, 2e5 do kept[#kept + 1] = {i} end end, 'value')",
    ).raise_error()
    slider = lua_magics(shell).session.globals.slider
    for value in range(1, 60):
        with capture_output() as captured:
            slider.value = value
        if "LuaMemoryError" in captured.stderr:
            break
    error_at = captured.stderr.index("Error in Lua callback: LuaMemoryError: Lua ran out of memory")
    assert 0 <= captured.stderr.find("ilupa memory warning") < error_at
    assert run(shell, "%lua kept = nil").success
    assert run(shell, "%lua 1 + 1").result == 2


@pytest.mark.parametrize("runtime", BUDGET_RUNTIMES)
def test_out_of_memory_in_a_python_thread_is_the_explained_error(runtime: str) -> None:
    session = LuaSession(runtime, {}, memory_limit=64 << 20)
    session.memory.notify = lambda notice: None
    (fill,) = session.run("return function() big = {} for i = 1, 1e8 do big[i] = {i} end end", "f")
    errors: list[BaseException] = []

    def call() -> None:
        try:
            fill()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=call)
    thread.start()
    thread.join()
    assert isinstance(errors[0], LuaMemoryError)
    assert "Dropped the globals this cell created: big." in str(errors[0])
    assert session.run("return big == nil", "after") == (True,)
