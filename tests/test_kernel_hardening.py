"""Requests that used to leave the ilupa kernel unresponsive (issue 29), through a real kernel.

A cell whose value has a looping `__index` (IPython's display probes ran it with
the GIL held: no interrupt reply, no next execute), Tab after a long token
(quadratic: 93 s for 50 KB), an inspect_request with `code: null` (no reply at
all), and a cell that prints hundreds of megabytes (the kernel grew by 820 MB).
Each test checks that the kernel replies and keeps its state.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from ilupa.runtimes import available_runtimes
from tests.kernel_support import started_kernel  # installs the kernelspec first
from tests.test_kernel_interrupt import TIMEOUT, execute

pytestmark = pytest.mark.kernel

REPLY_TIMEOUT = 20


@pytest.fixture(
    scope="module", params=[r for r in ("luajit21", "lua54") if r in available_runtimes()]
)
def kernel(request: pytest.FixtureRequest) -> Iterator[tuple[KernelManager, Any]]:
    with started_kernel(request.param, TIMEOUT) as (manager, client):
        assert execute(client, "kept = 'lua value'")["status"] == "ok"
        yield manager, client


def _reply(client: Any, msg_id: str, timeout: float = REPLY_TIMEOUT) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        message = client.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        if message["parent_header"].get("msg_id") == msg_id:
            return message["content"]


def _request(client: Any, msg_type: str, content: dict[str, Any]) -> dict[str, Any]:
    message = client.session.msg(msg_type, content)
    client.shell_channel.send(message)
    return _reply(client, message["header"]["msg_id"])


def _kept(client: Any) -> bool:
    return execute(client, "kept")["result"] == "'lua value'"


def test_a_value_whose_index_loops_is_shown(kernel: tuple[KernelManager, Any]) -> None:
    _, client = kernel
    reply = execute(
        client, "return setmetatable({1, 2}, {__index = function() while true do end end})"
    )
    assert reply["status"] == "ok"
    assert reply["result"] == "{1, 2}"
    assert _kept(client)


def test_a_userdata_whose_index_loops_is_shown(kernel: tuple[KernelManager, Any]) -> None:
    _, client = kernel
    code = (
        "local u = newproxy and newproxy(true)\n"
        "if not u then return setmetatable({}, {__index = function() while true do end end}) end\n"
        "getmetatable(u).__index = function() while true do end end\nreturn u"
    )
    reply = execute(client, code)
    assert reply["status"] == "ok"
    assert reply["result"].startswith(("<Lua userdata at", "{}"))
    assert _kept(client)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('s = "' + "a" * 50_000 + '"\npri', ["print"]),
        ("x = " + "a" * 50_000, []),
        ("-- " + "b" * 50_000 + "\nstring.fo", ["format"]),
    ],
    ids=["string", "identifier", "comment"],
)
def test_completion_after_a_long_token_replies(
    kernel: tuple[KernelManager, Any], code: str, expected: list[str]
) -> None:
    _, client = kernel
    reply = _reply(client, client.complete(code, len(code)))
    assert reply["status"] == "ok"
    assert reply["matches"] == expected
    assert _kept(client)


@pytest.mark.parametrize(
    ("code", "found"),
    [
        ("x = " + "a." * 30_000, False),
        ("x = " + "a." * 30_000 + "b\nstring.format(", True),
    ],
    ids=["long-chain", "open-call-after-it"],
)
def test_inspection_after_a_long_chain_replies(
    kernel: tuple[KernelManager, Any], code: str, found: bool
) -> None:
    """Shift-Tab there took a minute (a regular expression searched from every start)."""
    _, client = kernel
    reply = _reply(client, client.inspect(code, len(code)))
    assert reply["status"] == "ok"
    assert reply["found"] is found
    assert _kept(client)


@pytest.mark.parametrize(
    ("msg_type", "content"),
    [
        ("inspect_request", {"code": None, "cursor_pos": 0, "detail_level": 0}),
        ("inspect_request", {"code": "string.format", "cursor_pos": None, "detail_level": 0}),
        ("complete_request", {"code": None, "cursor_pos": None}),
        ("is_complete_request", {"code": None}),
    ],
    ids=["inspect-null-code", "inspect-null-cursor", "complete-null", "is-complete-null"],
)
def test_requests_with_null_fields_get_replies(
    kernel: tuple[KernelManager, Any], msg_type: str, content: dict[str, Any]
) -> None:
    _, client = kernel
    reply = _request(client, msg_type, content)
    assert reply["status"] in ("ok", "complete", "incomplete", "invalid", "unknown")
    assert _kept(client)


@pytest.mark.parametrize(
    ("msg_type", "content", "status"),
    [
        ("inspect_request", {}, "ok"),
        ("complete_request", {}, "ok"),
        ("is_complete_request", {}, "complete"),
        ("history_request", {}, "ok"),
        ("execute_request", {}, "error"),
        ("execute_request", {"code": None, "silent": False}, "error"),
    ],
    ids=["inspect", "complete", "is-complete", "history", "execute", "execute-null-code"],
)
def test_requests_missing_fields_get_replies(
    kernel: tuple[KernelManager, Any], msg_type: str, content: dict[str, Any], status: str
) -> None:
    """ipykernel's handlers raised on a missing field and sent nothing (python3's too)."""
    _, client = kernel
    reply = _request(client, msg_type, content)
    assert reply["status"] == status
    if status == "error":
        assert reply["ename"] == "BadRequest"
        assert "'code'" in reply["evalue"]
    assert _kept(client)


def test_output_is_cut_at_the_budget(kernel: tuple[KernelManager, Any]) -> None:
    """24 prints of 8 MiB took the kernel from 68 MB to 888 MB; now 16 MiB, then a note."""
    _, client = kernel
    printed: list[str] = []

    def collect(message: dict[str, Any]) -> None:
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    reply = client.execute_interactive(
        "local s = string.rep('x', 8 * 2^20)\nfor i = 1, 24 do print(s) end\nreturn 'done'",
        timeout=TIMEOUT * 4,
        output_hook=collect,
    )
    assert reply["content"]["status"] == "ok"
    text = "".join(printed)
    assert text.count("[ilupa: output cut here:") == 1
    assert len(text) < 17 * 2**20
    assert _kept(client)


LOOPING_TABLE = "setmetatable({}, {__index = function() while true do end end})"


def test_python_s_inspector_on_a_looping_lua_table_replies(
    kernel: tuple[KernelManager, Any],
) -> None:
    # IPython's inspector read `__doc__`, `__call__`, ... of the table: each ran __index
    _, client = kernel
    assert execute(client, f"%%py\nt = %lua {LOOPING_TABLE}")["status"] == "ok"
    reply = _request(
        client, "inspect_request", {"code": "%%py\nt", "cursor_pos": 6, "detail_level": 0}
    )
    assert reply["status"] == "ok" and reply["found"]
    assert "Lua value" in reply["data"]["text/plain"]
    shown = execute(client, "%%py\nt?")
    assert shown["status"] == "ok"
    assert _kept(client)


@pytest.mark.parametrize("runtime", [r for r in ("lua54", "luajit21") if r in available_runtimes()])
def test_kernel_info_answers_after_a_user_s_hook_fails_on_every_line(runtime: str) -> None:
    # kernel_info asked lupa for the runtime's name, which runs Lua: the hook failed it
    with started_kernel(runtime, TIMEOUT) as (_, client):
        hook = "debug.sethook(function(event, line) counts[line] = 1 end, 'l')"
        execute(client, hook)  # as in plain Lua, every later line fails in the hook
        info = client.kernel_info(reply=True, timeout=REPLY_TIMEOUT)["content"]
        assert info["status"] == "ok" and info["language_info"]["name"] == "lua"
        assert execute(client, "return 1")["status"] == "error"  # an answer, not a hang
