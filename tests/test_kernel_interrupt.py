"""interrupt_request stops running Lua on every runtime, keeping all state.

The 1 s latency bar is measured in benchmarks/bench_interrupt.py, not asserted here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from ilupa.runtimes import available_runtimes
from tests.kernel_support import kernel_env  # installs the kernelspec first

pytestmark = pytest.mark.kernel

TIMEOUT = 30


@pytest.fixture(scope="module", params=available_runtimes())
def kernel(request: pytest.FixtureRequest) -> Iterator[tuple[KernelManager, Any]]:
    manager = KernelManager(kernel_name="ilupa")
    manager.start_kernel(env=kernel_env(ILUPA_RUNTIME=request.param))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=TIMEOUT)
    yield manager, client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def execute(client: Any, code: str) -> dict[str, Any]:
    """Run `code`; return the reply content plus the text/plain result, if any."""
    reply = client.execute_interactive(code, timeout=TIMEOUT, output_hook=_collect)
    content = dict(reply["content"])
    content["result"] = _collect.last
    _collect.last = None
    return content


def _collect(message: dict[str, Any]) -> None:
    if message["msg_type"] == "execute_result":
        _collect.last = message["content"]["data"]["text/plain"]


_collect.last = None  # type: ignore[attr-defined]


def interrupt_after_start(manager: KernelManager, client: Any, code: str) -> dict:
    """Start `code`, interrupt it once it runs, return its reply."""
    msg_id = client.execute(code, stop_on_error=False)
    deadline = time.monotonic() + TIMEOUT
    while True:  # wait until the kernel is busy with our cell
        message = client.get_iopub_msg(timeout=TIMEOUT)
        mine = message["parent_header"].get("msg_id") == msg_id
        state = message["content"].get("execution_state")
        if mine and message["msg_type"] == "status" and state == "busy":
            break
        assert time.monotonic() < deadline
    time.sleep(0.5)
    manager.interrupt_kernel()
    return client.get_shell_msg(timeout=TIMEOUT)["content"]


@pytest.mark.parametrize(
    "loop",
    [
        "while true do x = x + 1 end",
        "for i = 1, math.huge do x = x + 1 end",
        "repeat x = x + 1 until false",
        "while true do pcall(function() while true do x = x + 1 end end) end",
        "coroutine.wrap(function() while true do x = x + 1 end end)()",
        "local function spin() x = x + 1 return spin() end\nspin()",
    ],
)
def test_interrupt_stops_a_loop_and_keeps_state(
    kernel: tuple[KernelManager, Any], loop: str
) -> None:
    manager, client = kernel
    assert execute(client, "x = 0\nkept = 'lua value'")["status"] == "ok"
    assert execute(client, "%%py\npython_kept = [1, 2, 3]")["status"] == "ok"
    content = interrupt_after_start(manager, client, loop)
    assert content["status"] == "error"
    assert content["ename"] == "KeyboardInterrupt"
    after = execute(client, "kept .. ' ' .. tostring(x > 0)")
    assert after["status"] == "ok"
    assert after["result"] == "'lua value true'"
    assert execute(client, "%%py\npython_kept")["result"] == "[1, 2, 3]"


def test_python_and_lua_cells_share_objects(kernel: tuple[KernelManager, Any]) -> None:
    _, client = kernel
    assert execute(client, "%%py\nshared = {'n': 1}")["status"] == "ok"
    assert execute(client, "py.shared['n'] = 41\nt = {1, 2}")["status"] == "ok"
    reply = execute(client, "%%py\nshared['n'] + 1")
    assert reply["result"] == "42"
    assert execute(client, "%%py\nt = %lua t\nt[2]")["result"] == "2"


def test_lua_error_gives_an_error_reply(kernel: tuple[KernelManager, Any]) -> None:
    _, client = kernel
    reply = execute(client, "local a = 1\nerror('boom')")
    assert reply["status"] == "error"
    assert reply["ename"] == "LuaRuntimeError"
    assert "boom" in reply["evalue"]
