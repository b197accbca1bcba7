"""JupyterLab's debugger on the ilupa kernel: the debug protocol on a real kernel.

Requests go on the control channel as JupyterLab sends them (initialize,
attach, debugInfo, setBreakpoints on the file named by the cell's hash,
configurationDone); the cell runs on the shell channel; stops, steps, frames,
variables and evaluation are checked against the cell's own code.
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from ipykernel.compiler import murmur2_x86
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import KernelManager

from tests.kernel_support import kernel_env

pytestmark = pytest.mark.kernel

TIMEOUT = 60
ABORTED_RETRIES = 10

CELL = """\
local function double(n)
  local twice = n * 2
  return twice
end
local x = 10
local t = {name = "box", size = 3}
local y = double(x)
result = y + t.size
"""


class Debugging:
    """A kernel and its client, with debug requests in the protocol's order."""

    def __init__(self, manager: KernelManager, client: BlockingKernelClient, runtime: str) -> None:
        self.runtime = runtime
        self.last_execute = ""
        self.manager = manager
        self.client = client
        self.seq = 0

    def execute(self, code: str, stop_on_error: bool = True) -> None:
        """Send a cell to run; `reply` waits for its answer. `stop_on_error=False` for a
        cell sent right after a failing one (ipykernel may abort it otherwise)."""
        self.last_execute = self.client.execute(code, stop_on_error=stop_on_error)

    def reply(self) -> dict[str, Any]:
        """The execute_reply of the last cell sent (other shell replies are passed over)."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            message = self.client.get_shell_msg(timeout=TIMEOUT)
            if message["parent_header"].get("msg_id") == self.last_execute:
                return message["content"]
        raise AssertionError("no execute_reply")

    def request(self, command: str, **arguments: Any) -> dict[str, Any]:
        return self.answer(self.send(command, **arguments))

    def send(self, command: str, **arguments: Any) -> str:
        """Send a debug request without waiting; `answer` waits for its reply."""
        self.seq += 1
        content = {"type": "request", "seq": self.seq, "command": command, "arguments": arguments}
        message = self.client.session.msg("debug_request", content)
        self.client.control_channel.send(message)
        return message["header"]["msg_id"]

    def answer(self, msg_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            reply = self.client.control_channel.get_msg(timeout=TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]
        raise AssertionError(f"no reply to {msg_id}")

    def event(self, name: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                message = self.client.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if message["msg_type"] == "debug_event" and message["content"]["event"] == name:
                return message["content"]
        raise AssertionError(f"no {name} event")

    def path_of(self, code: str) -> str:
        """The cell's file as JupyterLab computes it from debugInfo (its hash of the code)."""
        info = self.request("debugInfo")["body"]
        name = murmur2_x86(code, info["hashSeed"])
        return f"{info['tmpFilePrefix']}{name}{info['tmpFileSuffix']}"

    def start(self, breakpoints: dict[str, list[int]]) -> None:
        assert self.request("initialize", clientID="test", adapterID="lua")["success"]
        assert self.request("attach")["success"]
        for code, lines in breakpoints.items():
            path = self.request("dumpCell", code=code)["body"]["sourcePath"]
            assert path == self.path_of(code)
            reply = self.request(
                "setBreakpoints",
                source={"path": path},
                breakpoints=[{"line": line} for line in lines],
            )
            assert [b["line"] for b in reply["body"]["breakpoints"]] == lines
        assert self.request("configurationDone")["success"]

    def top_frame(self) -> dict[str, Any]:
        return self.request("stackTrace", threadId=1)["body"]["stackFrames"][0]

    def locals_of(self, frame_id: int) -> dict[str, str]:
        scopes = self.request("scopes", frameId=frame_id)["body"]["scopes"]
        assert [s["name"] for s in scopes] == ["Locals", "Upvalues", "Globals"]
        variables = self.request("variables", variablesReference=scopes[0]["variablesReference"])
        return {v["name"]: v for v in variables["body"]["variables"]}


@contextmanager
def debugged_kernel(runtime: str) -> Iterator[Debugging]:
    """A real ilupa kernel on `runtime`, shut down afterwards."""
    manager = KernelManager(kernel_name="ilupa")
    manager.start_kernel(env={**os.environ, **kernel_env(ILUPA_RUNTIME=runtime)})
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        yield Debugging(manager, client, runtime)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.fixture(params=["lua54", "luajit21", "lua51"])
def debugging(request: pytest.FixtureRequest) -> Iterator[Debugging]:
    with debugged_kernel(request.param) as debugged:
        yield debugged


def test_debug_info_names_cells_as_jupyterlab_hashes_them(debugging: Debugging) -> None:
    info = debugging.request("debugInfo")["body"]
    assert info["hashMethod"] == "Murmur2" and info["tmpFileSuffix"] == ".lua"
    assert info["richRendering"]  # the panel offers "render variable"
    assert debugging.path_of("x = 1").endswith(".lua")
    kernel_info = debugging.client.kernel_info(reply=True, timeout=TIMEOUT)["content"]
    assert "debugger" in kernel_info["supported_features"]


def test_a_breakpoint_stops_the_cell_and_shows_its_frame(debugging: Debugging) -> None:
    debugging.start({CELL: [7]})
    debugging.execute(CELL)
    stopped = debugging.event("stopped")["body"]
    assert stopped["reason"] == "breakpoint" and stopped["threadId"] == 1
    frame = debugging.top_frame()
    assert (frame["line"], frame["source"]["path"]) == (7, debugging.path_of(CELL))
    names = debugging.locals_of(frame["id"])
    assert names["x"]["value"] == "10" and names["x"]["type"] == "int"
    assert names["t"]["type"] == "table" and "y" not in names  # y is not assigned yet
    fields = debugging.request("variables", variablesReference=names["t"]["variablesReference"])
    shown = {v["name"]: (v["value"], v["type"]) for v in fields["body"]["variables"]}
    # typed as JupyterLab's variables tree needs to show values, not type names
    assert shown == {"name": ('"box"', "str"), "size": ("3", "int")}
    evaluated = debugging.request("evaluate", expression="x * 2 + t.size", frameId=frame["id"])
    assert evaluated["body"]["result"] == "23"
    failed = debugging.request("evaluate", expression="x +", frameId=frame["id"])
    assert not failed["success"] and "evaluate" in failed["message"]
    assert debugging.request("continue", threadId=1)["success"]
    reply = debugging.reply()
    assert reply["status"] == "ok"
    check = debugging.client.execute_interactive("return result", timeout=TIMEOUT)
    assert check["content"]["status"] == "ok"


GENERATOR = """\
local function evens(n)
  for i = 1, n do
    coroutine.yield(i * 2)
  end
end
local next_even = coroutine.wrap(evens)
first_even = next_even(3)
"""
EARLIER_COROUTINE = "later = coroutine.wrap(function(a)\n  local b = a + 1\n  return b\nend)"

HELD = "held = coroutine.create(function() coroutine.yield() end)\ncoroutine.resume(held)"
HELD_ARMED = "return debug.gethook(held) ~= nil or (_VERSION == 'Lua 5.1' and not jit)"
HELD_HOOK = "return debug.gethook(held) == nil and debug.gethook() == nil"


def test_breakpoints_stop_inside_coroutines(debugging: Debugging) -> None:
    # hooks are per coroutine on PUC Lua: one made in the cell, and one made before
    # the debugger started, resumed in a later cell, both stop
    for code in (EARLIER_COROUTINE, HELD):
        made = debugging.client.execute_interactive(code, timeout=TIMEOUT)
        assert made["content"]["status"] == "ok"
    debugging.start({GENERATOR: [3], EARLIER_COROUTINE: [2]})
    debugging.execute(GENERATOR)
    assert {"i": "1", "n": "3"}.items() <= locals_at_stop(debugging).items()
    assert debugging.top_frame()["line"] == 3
    assert finish(debugging)["status"] == "ok"
    if debugging.runtime == "lua51":  # Lua 5.1 keeps no list of earlier coroutines
        assert result_of(debugging, "got = later(5)") == ""
    else:
        debugging.execute("got = later(5)")
        assert locals_at_stop(debugging)["a"] == "5"
        assert finish(debugging)["status"] == "ok"
    assert result_of(debugging, "return first_even, got") == "(2, 6)"
    # armed, coroutines made before have the hook (not on Lua 5.1)
    assert result_of(debugging, HELD_ARMED) == "True"
    # breakpoints cleared: the next cell takes the hook off the coroutines again
    for code in (GENERATOR, EARLIER_COROUTINE):
        debugging.request(
            "setBreakpoints", source={"path": debugging.path_of(code)}, breakpoints=[]
        )
    assert result_of(debugging, HELD_HOOK) == "True"


def test_steps_go_into_over_and_out_of_a_function(debugging: Debugging) -> None:
    debugging.start({CELL: [7]})
    debugging.execute(CELL)
    debugging.event("stopped")
    debugging.request("stepIn", threadId=1)
    debugging.event("stopped")
    inside = debugging.request("stackTrace", threadId=1)["body"]["stackFrames"]
    assert inside[0]["line"] == 2 and inside[0]["name"] == "double"
    assert inside[1]["line"] == 7  # the caller, below
    assert debugging.locals_of(inside[0]["id"])["n"]["value"] == "10"
    debugging.request("next", threadId=1)
    debugging.event("stopped")
    assert debugging.top_frame()["line"] == 3
    debugging.request("stepOut", threadId=1)
    debugging.event("stopped")
    assert debugging.top_frame()["line"] in (7, 8)  # back in the cell (5.1 repeats line 7)
    debugging.request("continue", threadId=1)
    assert debugging.reply()["status"] == "ok"


def test_the_stop_button_ends_a_stopped_cell_and_the_kernel_goes_on(
    debugging: Debugging,
) -> None:
    debugging.start({CELL: [5]})
    debugging.execute(CELL)
    debugging.event("stopped")
    debugging.manager.interrupt_kernel()
    reply = debugging.reply()
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    debugging.request("disconnect")
    assert result_of(debugging, "return 1 + 1") == "2"


LOOP = """\
local total = 0
for i = 1, 10 do
  total = total + i
end
result = total
"""


@pytest.fixture(params=["lua54", "luajit21"])
def two_runtimes(request: pytest.FixtureRequest) -> Iterator[Debugging]:
    with debugged_kernel(request.param) as debugged:
        yield debugged


def locals_at_stop(debugging: Debugging) -> dict[str, str]:
    debugging.event("stopped")
    frame = debugging.top_frame()
    return {name: v["value"] for name, v in debugging.locals_of(frame["id"]).items()}


def result_of(debugging: Debugging, code: str) -> str:
    """The text/plain of a cell's value."""
    shown: list[str] = []

    def keep(message: dict[str, Any]) -> None:
        if message["msg_type"] == "execute_result":
            shown.append(message["content"]["data"]["text/plain"])

    reply = debugging.client.execute_interactive(code, timeout=TIMEOUT, output_hook=keep)
    # ipykernel aborts what reaches it while it still aborts after an error (the
    # stop button's): the protocol's "aborted", to be sent again
    for _ in range(ABORTED_RETRIES):
        if reply["content"]["status"] != "aborted":
            break
        time.sleep(0.5)
        reply = debugging.client.execute_interactive(code, timeout=TIMEOUT, output_hook=keep)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(shown)


def finish(debugging: Debugging) -> dict[str, Any]:
    debugging.request("continue", threadId=1)
    return debugging.reply()


def test_conditions_and_hit_counts(two_runtimes: Debugging) -> None:
    debugging = two_runtimes
    debugging.request("initialize", clientID="test", adapterID="lua")
    debugging.request("attach")
    path = debugging.request("dumpCell", code=LOOP)["body"]["sourcePath"]
    reply = debugging.request(
        "setBreakpoints",
        source={"path": path},
        breakpoints=[{"line": 3, "condition": "i == 4"}, {"line": 5, "hitCondition": "bad"}],
    )
    assert [b["verified"] for b in reply["body"]["breakpoints"]] == [True, False]
    debugging.execute(LOOP)
    assert locals_at_stop(debugging)["i"] == "4"
    assert finish(debugging)["status"] == "ok"
    debugging.request(
        "setBreakpoints", source={"path": path}, breakpoints=[{"line": 3, "hitCondition": "3"}]
    )
    debugging.execute(LOOP)
    assert locals_at_stop(debugging)["i"] == "3"
    debugging.request("continue", threadId=1)
    assert locals_at_stop(debugging)["i"] == "4"  # ">= 3": every hit after the third too
    debugging.request("setBreakpoints", source={"path": path}, breakpoints=[])
    assert finish(debugging)["status"] == "ok"


def test_an_uncaught_error_stops_where_it_was_raised(two_runtimes: Debugging) -> None:
    debugging = two_runtimes
    debugging.start({})
    debugging.request("setExceptionBreakpoints", filters=["uncaught"])
    code = "local function check(n)\n  if n > 2 then error('too big: ' .. n) end\nend\ncheck(5)"
    debugging.execute("pcall(error, 'caught: no stop')\n" + code)
    stopped = debugging.event("stopped")["body"]
    assert stopped["reason"] == "exception" and "too big: 5" in stopped["text"]
    frames = debugging.request("stackTrace", threadId=1)["body"]["stackFrames"]
    assert (frames[0]["name"], frames[0]["line"]) == ("check", 3)
    assert debugging.locals_of(frames[0]["id"])["n"]["value"] == "5"
    reply = finish(debugging)
    assert reply["status"] == "error" and "too big: 5" in reply["evalue"]


def test_a_function_from_an_earlier_cell_stops_when_python_calls_it(
    two_runtimes: Debugging,
) -> None:
    debugging = two_runtimes
    define = "function scale(v)\n  local scaled = v * 3\n  return scaled\nend"
    assert (
        debugging.client.execute_interactive(define, timeout=TIMEOUT)["content"]["status"] == "ok"
    )
    debugging.start({define: [2]})
    debugging.client.execute_interactive("x = 1", timeout=TIMEOUT)  # the next cell arms it
    call = (
        "%%py\nsession = get_ipython().magics_manager.registry['LuaMagics'].session\n"
        "got = session.call(session.globals['scale'], 7)"
    )
    debugging.execute(call)
    assert locals_at_stop(debugging)["v"] == "7"
    assert finish(debugging)["status"] == "ok"
    shown = debugging.client.execute_interactive("%%py\nprint(got)", timeout=TIMEOUT)
    assert shown["content"]["status"] == "ok"


def test_a_breakpoint_in_a_file_lua_requires(two_runtimes: Debugging, tmp_path: Any) -> None:
    debugging = two_runtimes
    module = tmp_path / "mymod.lua"
    module.write_text(
        "local M = {}\nfunction M.f(a)\n  local b = a + 1\n  return b\nend\nreturn M\n"
    )
    debugging.start({})
    debugging.request("setBreakpoints", source={"path": str(module)}, breakpoints=[{"line": 3}])
    code = (
        f"package.path = {str(tmp_path)!r} .. '/?.lua;' .. package.path\n"
        "local m = require 'mymod'\nr = m.f(41)"
    )
    debugging.execute(code)
    debugging.event("stopped")
    frame = debugging.top_frame()
    assert frame["source"]["path"] == str(module) and frame["line"] == 3
    assert finish(debugging)["status"] == "ok"


def test_variables_read_no_metamethod_and_python_objects_expand(two_runtimes: Debugging) -> None:
    debugging = two_runtimes
    code = (
        "local trap = setmetatable({real = 1}, {__index = function() while true do end end,"
        " __tostring = function() while true do end end, __pairs = function() error('no') end})\n"
        "local data = py.data\n"
        "local done = true\n"
    )
    setup = "%%py\ndata = {'a': 1, 'b': [2, 3]}"
    assert debugging.client.execute_interactive(setup, timeout=TIMEOUT)["content"]["status"] == "ok"
    debugging.start({code: [3]})
    debugging.execute(code)
    debugging.event("stopped")
    names = debugging.locals_of(debugging.top_frame()["id"])
    assert names["trap"]["value"].startswith("table: 0x")
    fields = debugging.request("variables", variablesReference=names["trap"]["variablesReference"])
    assert [(v["name"], v["value"]) for v in fields["body"]["variables"]] == [("real", "1")]
    assert names["data"]["value"] == "{'a': 1, 'b': [2, 3]}"
    items = debugging.request("variables", variablesReference=names["data"]["variablesReference"])
    assert [v["name"] for v in items["body"]["variables"]] == ["'a'", "'b'"]
    # "render variable": a table as a notebook shows one (read raw), a Python object as
    # Python shows it
    frame_id = debugging.top_frame()["id"]
    rich = debugging.request("richInspectVariables", variableName="trap", frameId=frame_id)
    assert "real" in rich["body"]["data"]["text/html"], rich
    rich = debugging.request("richInspectVariables", variableName="data", frameId=frame_id)
    assert rich["body"]["data"]["text/plain"] == "{'a': 1, 'b': [2, 3]}", rich
    wrong = debugging.request("richInspectVariables", variableName="nope(", frameId=frame_id)
    assert not wrong["success"]
    assert finish(debugging)["status"] == "ok"


SPIN = "local n = 0\nwhile true do\n  n = n + 1\nend"


def test_pause_stops_a_loop_with_no_breakpoint_set(debugging: Debugging) -> None:
    # no line hook runs: the pause knocks (a hook set from the control thread, or on
    # Lua 5.1 and LuaJIT the flag their count hook and loop checks read)
    debugging.start({})
    debugging.execute(SPIN)
    time.sleep(1)
    assert debugging.request("pause", threadId=1)["success"]
    stopped = debugging.event("stopped")["body"]
    assert stopped["reason"] == "pause"
    frame = debugging.top_frame()
    assert frame["line"] in (2, 3) and int(debugging.locals_of(frame["id"])["n"]["value"]) > 0
    debugging.request("next", threadId=1)  # steps go on from a pause
    debugging.event("stopped")
    assert debugging.top_frame()["line"] in (2, 3)
    debugging.manager.interrupt_kernel()
    reply = debugging.reply()
    assert reply["ename"] == "KeyboardInterrupt"


def test_a_breakpoint_set_while_the_cell_runs_stops_it(debugging: Debugging) -> None:
    debugging.start({})
    debugging.execute(SPIN)
    time.sleep(1)
    path = debugging.path_of(SPIN)
    reply = debugging.request("setBreakpoints", source={"path": path}, breakpoints=[{"line": 3}])
    assert reply["body"]["breakpoints"][0]["verified"]
    stopped = debugging.event("stopped")["body"]
    assert stopped["reason"] == "breakpoint" and debugging.top_frame()["line"] == 3
    debugging.manager.interrupt_kernel()
    reply = debugging.reply()
    assert reply["ename"] == "KeyboardInterrupt"
    # the kernel goes on, and a plain cell afterwards runs at full speed again
    assert result_of(debugging, "return 1 + 1") == "2"


def test_pause_stops_a_running_loop(two_runtimes: Debugging) -> None:
    debugging = two_runtimes
    spin = "local n = 0\nwhile true do\n  n = n + 1\nend"
    debugging.start({"unused = 1": [1]})  # a breakpoint somewhere: the hook is on
    debugging.execute(spin)
    time.sleep(1)
    assert debugging.request("pause", threadId=1)["success"]
    stopped = debugging.event("stopped")["body"]
    assert stopped["reason"] == "pause"
    assert debugging.top_frame()["line"] in (2, 3)
    debugging.manager.interrupt_kernel()
    reply = debugging.reply()
    assert reply["ename"] == "KeyboardInterrupt"


STEPPED_OFF = "local a = 1\nstepped = a + 1"


def test_a_step_off_the_end_of_a_cell_ends_with_it(two_runtimes: Debugging) -> None:
    debugging = two_runtimes
    debugging.start({STEPPED_OFF: [2]})
    debugging.execute(STEPPED_OFF)
    debugging.event("stopped")
    debugging.request("next", threadId=1)
    assert debugging.reply()["status"] == "ok"
    # what ilupa runs between cells (kernel_info's runtime name) never stops
    info = debugging.client.kernel_info(reply=True, timeout=TIMEOUT)["content"]
    assert info["status"] == "ok"
    assert result_of(debugging, "return stepped") == "2"


EVALUATED = "function g()\n  local z = 1\n  return z\nend\nlocal w = 5\nreturn w"


def test_an_evaluate_takes_no_breakpoint(two_runtimes: Debugging) -> None:
    # a stop inside the evaluate would wait for requests the panel cannot send
    debugging = two_runtimes
    debugging.start({EVALUATED: [2, 6]})
    debugging.execute(EVALUATED)
    debugging.event("stopped")
    frame = debugging.top_frame()
    assert frame["line"] == 6
    evaluated = debugging.request("evaluate", expression="g() + w", frameId=frame["id"])
    assert evaluated["body"]["result"] == "6"
    assert finish(debugging)["status"] == "ok"


def test_the_stop_button_during_an_evaluate_answers_it(two_runtimes: Debugging) -> None:
    debugging = two_runtimes
    debugging.start({EVALUATED: [6]})
    debugging.execute(EVALUATED)
    debugging.event("stopped")
    frame_id = debugging.top_frame()["id"]
    endless = debugging.send(
        "evaluate", expression="(function() while true do end end)()", frameId=frame_id
    )
    time.sleep(1)
    debugging.manager.interrupt_kernel()
    assert not debugging.answer(endless)["success"]
    assert debugging.reply()["ename"] == "KeyboardInterrupt"
    assert debugging.request("debugInfo")["success"]  # the control channel answers


WAITS_THEN_ASSIGNS = (
    "local t0 = os.clock()\nwhile os.clock() - t0 < 2 do end\nwaited = 1\nreturn 'done'"
)


def test_disconnect_while_a_cell_runs_drops_its_breakpoints(two_runtimes: Debugging) -> None:
    debugging = two_runtimes
    debugging.start({WAITS_THEN_ASSIGNS: [3]})
    debugging.execute(WAITS_THEN_ASSIGNS)
    time.sleep(0.5)
    assert debugging.request("disconnect")["success"]
    assert debugging.reply()["status"] == "ok"  # no stop at line 3 with no client
    assert result_of(debugging, "return waited") == "1"


OBSERVED = (
    "slider = widgets.IntSlider{min = 0, max = 10, value = 1}\n"
    "slider:observe(function(change)\n"
    "  seen = change.new\n"
    "end, 'value')\n"
    "return slider.model_id"
)


def test_a_breakpoint_in_a_widget_observer_stops_when_the_frontend_moves_it(
    two_runtimes: Debugging,
) -> None:
    debugging = two_runtimes
    debugging.start({OBSERVED: [3]})
    model_id = result_of(debugging, OBSERVED).strip("'\"")
    # the frontend moves the slider: a comm message on the shell channel
    moved = debugging.client.session.msg(
        "comm_msg",
        {
            "comm_id": model_id,
            "data": {"method": "update", "state": {"value": 5}, "buffer_paths": []},
        },
    )
    debugging.client.shell_channel.send(moved)
    assert debugging.event("stopped")["body"]["reason"] == "breakpoint"
    frame = debugging.top_frame()
    assert frame["line"] == 3 and "change" in debugging.locals_of(frame["id"])
    debugging.request("continue", threadId=1)
    assert result_of(debugging, "return seen") == "5"


def test_stopping_on_errors_turned_on_while_a_cell_runs_holds_for_its_error(
    two_runtimes: Debugging,
) -> None:
    debugging = two_runtimes
    debugging.start({})
    code = "local stop = os.clock() + 1.5\nwhile os.clock() < stop do end\nerror('late: 7')"
    debugging.execute(code)
    time.sleep(0.5)  # the cell is in its loop
    debugging.request("setExceptionBreakpoints", filters=["uncaught"])
    stopped = debugging.event("stopped")["body"]
    assert stopped["reason"] == "exception" and "late: 7" in stopped["text"]
    reply = finish(debugging)
    assert reply["status"] == "error" and "late: 7" in reply["evalue"]
    debugging.request("setExceptionBreakpoints", filters=[])
    debugging.execute("error('no stop now')", stop_on_error=False)
    assert debugging.reply()["status"] == "error"  # answered without a stop
