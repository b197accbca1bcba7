"""A memory warning never cuts a line the Lua cell is still writing (terminal output)."""

from __future__ import annotations

import contextlib
import io

import pytest

from ilupa import LuaSession
from ilupa.runtimes import available_runtimes

pytestmark = pytest.mark.slow

COUNTING_RUNTIMES = [name for name in available_runtimes() if name != "luajit20"]
# The fill crosses the warning share only in its last few milliseconds; the short hold
# after it keeps usage above the share for several samples (the hook's every 5 ms of
# CPU, the watcher's every 10 ms), so the warning comes while the cell runs even on a
# loaded machine, while the line is still well inside its patience.
FILL = (
    "held = {}\nfor i = 1, 4e5 do held[i] = {i} end\n"
    "local held_until = os.clock() + 0.05\nwhile os.clock() < held_until do end\n"
)
SPIN = "local stop = os.clock() + 1.5\nwhile os.clock() < stop do end\n"


def terminal_output(runtime: str, cell: str) -> str:
    """What a terminal shows for `cell`: stdout and stderr in one stream, as on a screen."""
    session = LuaSession(runtime, {}, memory_limit=40 << 20)
    screen = io.StringIO()
    with contextlib.redirect_stdout(screen), contextlib.redirect_stderr(screen):
        session.run(cell, "cell")
    return screen.getvalue()


@pytest.mark.parametrize("runtime", COUNTING_RUNTIMES)
def test_warning_waits_for_the_open_line_to_end(runtime: str) -> None:
    shown = terminal_output(runtime, f'io.write("loading: ")\n{FILL}io.write("done\\n")')
    assert shown.startswith("loading: done\nilupa memory warning: Lua uses"), shown
    assert "still running" in shown


@pytest.mark.parametrize("runtime", COUNTING_RUNTIMES)
def test_line_left_open_too_long_lets_the_warning_through_on_its_own_line(runtime: str) -> None:
    shown = terminal_output(runtime, f'io.write("dots")\n{FILL}{SPIN}io.write("end\\n")')
    first, second, third = shown.splitlines()[:3]
    assert first == "dots"
    assert second.startswith("ilupa memory warning: Lua uses") and "still running" in second
    assert third == "end"


def test_warning_held_at_a_failing_cells_end_is_still_shown() -> None:
    session = LuaSession("lua54", {}, memory_limit=40 << 20)
    screen = io.StringIO()
    with contextlib.redirect_stdout(screen), contextlib.redirect_stderr(screen):
        with pytest.raises(Exception, match="stop here"):
            session.run(f'io.write("loading: ")\n{FILL}error("stop here")', "cell")
        session.run('print("next cell")', "next")
    shown = screen.getvalue()
    assert shown.startswith("loading: \nilupa memory warning: Lua uses"), shown
    assert shown.index("still running") < shown.index("\nnext cell\n")


def test_a_nested_cell_ending_does_not_stop_the_outer_cell_from_holding() -> None:
    session = LuaSession("lua54", {}, memory_limit=40 << 20)
    session.namespace["inner"] = lambda: session.run("inner_ran = true", "inner")
    screen = io.StringIO()
    with contextlib.redirect_stdout(screen), contextlib.redirect_stderr(screen):
        session.run(f'py.inner()\nio.write("loading: ")\n{FILL}io.write("done\\n")', "outer")
    assert screen.getvalue().startswith("loading: done\nilupa memory warning: Lua uses")
