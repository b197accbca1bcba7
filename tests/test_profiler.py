"""`%%lua --profile`, `%lua --profile EXPR` and `%lua_profile`: where a cell's time went.

In a real IPython shell on Lua 5.4 (a time-weighted count hook through the
user's debug.sethook) and LuaJIT 2.1 (jit.profile, and trace aborts with their
reasons), and once through a real ilupa kernel (an HTML table in the notebook).
"""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from jupyter_client.manager import KernelManager

from ilupa.profiler import Profile, Sampler
from ilupa.runtimes import available_runtimes
from ilupa.session import LuaSession
from tests.conftest import run
from tests.kernel_support import kernel_env
from tests.test_kernel_interrupt import TIMEOUT

RUNTIMES = [r for r in ("lua54", "luajit21") if r in available_runtimes()]

# Line 4 (as the editor shows it: line 1 is `%%lua --profile`) holds the hot loop.
HOT_CELL = """%%lua --profile
local function hot(n)
  local s = 0
  for i = 1, n do s = s + i % 7 end
  return s
end
total = 0
for k = 1, {rounds} do total = total + hot(1000000) end
return total"""
ROUNDS = {"lua54": 20, "luajit21": 300}


@pytest.fixture(params=RUNTIMES)
def lua_shell(request: pytest.FixtureRequest, shell: InteractiveShell) -> InteractiveShell:
    run(shell, f"%lua_reset {request.param}").raise_error()
    shell.user_ns["_runtime"] = request.param
    return shell


def test_a_profiled_cell_runs_as_usual_and_names_its_hot_line(
    lua_shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    rounds = ROUNDS[lua_shell.user_ns["_runtime"]]
    result = run(lua_shell, HOT_CELL.replace("{rounds}", str(rounds)))
    result.raise_error()
    assert result.result == rounds * 2999998  # the cell's value, as without --profile
    assert run(lua_shell, "%lua total").result == rounds * 2999998  # its globals kept
    report = capsys.readouterr().out
    lines = report[report.index("lines:") : report.index("functions:")]
    first_row = lines.splitlines()[1]
    assert "In[" in first_row and ":4" in first_row  # the editor's cell and line
    assert "for i = 1, n do s = s + i % 7 end" in first_row
    assert "hot" in report[report.index("functions:") :].splitlines()[1]


def test_lua_profile_sorts_limits_and_saves_like_prun(
    lua_shell: InteractiveShell, tmp_path: Path
) -> None:
    text_file, dump = tmp_path / "profile.txt", tmp_path / "profile.json"
    code = "local t = {} for i = 1, 2e6 do t[#t + 1] = i % 3 end"
    result = run(
        lua_shell, f"p = %lua_profile --lines -r -q -s place -l 1 -T {text_file} -D {dump} {code}"
    )
    result.raise_error()
    profile = lua_shell.user_ns["p"]
    assert isinstance(profile, Profile)
    assert profile.lines and profile.lines[0].place.endswith(":1")
    text = profile.text()
    assert text[: text.find("trace aborts")].count("\n    ") <= 2  # -l 1: one row per table
    assert "In[" in text_file.read_text()
    saved = json.loads(dump.read_text())
    assert saved["lines"][0]["place"].endswith(":1")
    html = profile._repr_html_()
    assert "<table>" in html and "t[#t + 1] = i % 3" in html


def test_profile_refuses_the_sandbox(lua_shell: InteractiveShell) -> None:
    result = run(lua_shell, "%%lua --profile --sandbox\nreturn 1")
    assert "--profile profiles the shared state only" in str(result.error_in_exec)


def test_a_profiled_expression_returns_its_value(lua_shell: InteractiveShell) -> None:
    assert run(lua_shell, "%lua --profile 1 + 2").result == 3


def test_a_profiled_cell_that_fails_raises_and_keeps_state(
    lua_shell: InteractiveShell,
) -> None:
    result = run(lua_shell, "%%lua --profile\nkept = 1\nerror('boom')")
    assert result.error_in_exec is not None
    assert run(lua_shell, "%lua kept").result == 1
    # the next profile starts clean, and an unprofiled cell runs without a hook
    assert run(lua_shell, "%lua (debug.gethook())").result is None


@pytest.mark.skipif("luajit21" not in RUNTIMES, reason="LuaJIT 2.1 not shipped here")
def test_luajit_lists_trace_aborts_with_reasons(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run(shell, "%lua_reset luajit21").raise_error()
    cell = (
        "%%lua --profile\nlocal s = 0\nfor i = 1, 1e5 do\n"
        "  local f = function() return i end\n  s = s + f()\nend"
    )
    run(shell, cell).raise_error()
    report = capsys.readouterr().out
    aborts = report[report.index("trace aborts:") :]
    assert ":4: NYI: bytecode FNEW" in aborts  # a closure made in the loop, on its line


def _outputs(client: Any, code: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    shown: list[dict[str, Any]] = []

    def collect(message: dict[str, Any]) -> None:
        if message["msg_type"] in ("display_data", "execute_result"):
            shown.append(message["content"]["data"])

    reply = client.execute_interactive(code, timeout=TIMEOUT, output_hook=collect)
    return reply["content"], shown


@pytest.mark.kernel
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_profiled_cell_in_the_kernel_shows_an_html_table(runtime: str) -> None:
    manager = KernelManager(kernel_name="ilupa")
    manager.start_kernel(env=kernel_env(ILUPA_RUNTIME=runtime))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        reply, shown = _outputs(client, HOT_CELL.replace("{rounds}", str(ROUNDS[runtime])))
        assert reply["status"] == "ok"
        tables = [data for data in shown if "text/html" in data]
        assert tables, shown
        assert "ilupa-profile" in tables[0]["text/html"]
        assert "Lua profile" in tables[0]["text/plain"]
        assert "s = s + i % 7" in tables[0]["text/html"]
        assert any(data.get("text/plain") == str(ROUNDS[runtime] * 2999998) for data in shown)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_stop_button_ends_a_profiled_cell_with_state_kept(runtime: str) -> None:
    session = LuaSession(runtime, {})
    session.run("kept = 'lua value'", "setup")
    sampler = Sampler(session)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    try:
        timer.start()
        with pytest.raises(KeyboardInterrupt), sampler.sampling() as stopped:
            session.run("x = 0 while true do x = x + 1 end", "endless")
    finally:
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert session.run("return kept, x > 0", "after") == ("lua value", True)
    assert stopped and stopped[0].lines[0].place == "endless:1"  # where it ran until stopped
    with sampler.sampling() as got:  # profiling works again after the stop
        session.run("local s = 0 for i = 1, 3e6 do s = s + i % 3 end", "again")
    assert got and got[0].lines and got[0].lines[0].place == "again:1"
