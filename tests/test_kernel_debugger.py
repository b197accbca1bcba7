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
from typing import Any

import pytest
from ipykernel.compiler import murmur2_x86
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import KernelManager

from tests.kernel_support import kernel_env

pytestmark = pytest.mark.kernel

TIMEOUT = 60

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

    def __init__(self, manager: KernelManager, client: BlockingKernelClient) -> None:
        self.manager = manager
        self.client = client
        self.seq = 0

    def request(self, command: str, **arguments: Any) -> dict[str, Any]:
        self.seq += 1
        content = {"type": "request", "seq": self.seq, "command": command, "arguments": arguments}
        message = self.client.session.msg("debug_request", content)
        self.client.control_channel.send(message)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            reply = self.client.control_channel.get_msg(timeout=TIMEOUT)
            if reply["parent_header"].get("msg_id") == message["header"]["msg_id"]:
                return reply["content"]
        raise AssertionError(f"no reply to {command}")

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


@pytest.fixture(params=["lua54", "luajit21", "lua51"])
def debugging(request: pytest.FixtureRequest) -> Iterator[Debugging]:
    manager = KernelManager(kernel_name="ilupa")
    manager.start_kernel(env={**os.environ, **kernel_env(ILUPA_RUNTIME=request.param)})
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        yield Debugging(manager, client)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_debug_info_names_cells_as_jupyterlab_hashes_them(debugging: Debugging) -> None:
    info = debugging.request("debugInfo")["body"]
    assert info["hashMethod"] == "Murmur2" and info["tmpFileSuffix"] == ".lua"
    assert debugging.path_of("x = 1").endswith(".lua")
    kernel_info = debugging.client.kernel_info(reply=True, timeout=TIMEOUT)["content"]
    assert "debugger" in kernel_info["supported_features"]


def test_a_breakpoint_stops_the_cell_and_shows_its_frame(debugging: Debugging) -> None:
    debugging.start({CELL: [7]})
    debugging.client.execute(CELL)
    stopped = debugging.event("stopped")["body"]
    assert stopped["reason"] == "breakpoint" and stopped["threadId"] == 1
    frame = debugging.top_frame()
    assert (frame["line"], frame["source"]["path"]) == (7, debugging.path_of(CELL))
    names = debugging.locals_of(frame["id"])
    assert names["x"]["value"] == "10" and names["x"]["type"] == "number"
    assert names["t"]["type"] == "table" and "y" not in names  # y is not assigned yet
    fields = debugging.request("variables", variablesReference=names["t"]["variablesReference"])
    shown = {v["name"]: v["value"] for v in fields["body"]["variables"]}
    assert shown == {"name": '"box"', "size": "3"}
    evaluated = debugging.request("evaluate", expression="x * 2 + t.size", frameId=frame["id"])
    assert evaluated["body"]["result"] == "23"
    failed = debugging.request("evaluate", expression="x +", frameId=frame["id"])
    assert not failed["success"] and "evaluate" in failed["message"]
    assert debugging.request("continue", threadId=1)["success"]
    reply = debugging.client.get_shell_msg(timeout=TIMEOUT)["content"]
    assert reply["status"] == "ok"
    check = debugging.client.execute_interactive("return result", timeout=TIMEOUT)
    assert check["content"]["status"] == "ok"


def test_steps_go_into_over_and_out_of_a_function(debugging: Debugging) -> None:
    debugging.start({CELL: [7]})
    debugging.client.execute(CELL)
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
    assert debugging.client.get_shell_msg(timeout=TIMEOUT)["content"]["status"] == "ok"


def test_the_stop_button_ends_a_stopped_cell_and_the_kernel_goes_on(
    debugging: Debugging,
) -> None:
    debugging.start({CELL: [5]})
    debugging.client.execute(CELL)
    debugging.event("stopped")
    debugging.manager.interrupt_kernel()
    reply = debugging.client.get_shell_msg(timeout=TIMEOUT)["content"]
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    debugging.request("disconnect")
    again = debugging.client.execute_interactive("return 1 + 1", timeout=TIMEOUT)
    assert again["content"]["status"] == "ok"
