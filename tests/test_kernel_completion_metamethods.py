"""Tab and Shift-Tab in the ilupa kernel never run a user's metamethods.

A table whose `__index` or `__tostring` loops forever used to hang the kernel on
`obj.x.` + Tab (the stop button cannot reach lupa's completion reads). Completion
and inspection read raw fields and metatable `__index` tables only; the kernel
answers, and the next cell sees the old globals.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from ilupa.runtimes import available_runtimes
from tests.kernel_support import kernel_env  # installs the kernelspec first
from tests.test_kernel_interrupt import TIMEOUT, execute

REPLY_TIMEOUT = 10
LOOPING = (
    "kept = 'lua value'\n"
    "obj = setmetatable({a = {b = 1}}, {__index = function() while true do end end,\n"
    "  __tostring = function() while true do end end})\n"
    "via = setmetatable({}, {__index = {x = {y = 2}}})"
)


@pytest.fixture(
    scope="module", params=[r for r in ("lua54", "luajit21", "lua51") if r in available_runtimes()]
)
def client(request: pytest.FixtureRequest) -> Iterator[Any]:
    manager = KernelManager(kernel_name="ilupa")
    manager.start_kernel(env=kernel_env(ILUPA_RUNTIME=request.param))
    kernel_client = manager.client()
    kernel_client.start_channels()
    kernel_client.wait_for_ready(timeout=TIMEOUT)
    assert execute(kernel_client, LOOPING)["status"] == "ok"
    yield kernel_client
    kernel_client.stop_channels()
    manager.shutdown_kernel(now=True)


def _reply(client: Any, msg_id: str) -> dict[str, Any]:
    while True:
        message = client.get_shell_msg(timeout=REPLY_TIMEOUT)
        if message["parent_header"].get("msg_id") == msg_id:
            return message["content"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [("obj.x.", []), ("obj.missing", []), ("obj.a.", ["b"]), ("via.x.", ["y"])],
)
def test_completion_reads_raw_fields_only(client: Any, code: str, expected: list[str]) -> None:
    reply = _reply(client, client.complete(code, len(code)))
    assert reply["status"] == "ok"
    assert reply["matches"] == expected
    assert execute(client, "kept")["result"] == "'lua value'"


def test_inspection_describes_a_value_without_its_tostring(client: Any) -> None:
    reply = _reply(client, client.inspect("obj", 3))
    assert reply["found"]
    assert reply["data"]["text/plain"].startswith("obj: Lua table <Lua table at 0x")
    assert execute(client, "kept")["result"] == "'lua value'"
