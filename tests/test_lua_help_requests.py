"""`name?` in the ilupa kernel, and Shift-Tab in `%%lua` cells of a Python kernel, show Lua help."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from tests.kernel_support import kernel_env
from tests.test_kernel_interrupt import TIMEOUT

pytestmark = pytest.mark.kernel

FUNCTION_CELL = "function greet(name)\n  return 'hi ' .. name\nend"


@pytest.fixture(scope="module", params=["ilupa", "python3"])
def kernel(request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    manager = KernelManager(kernel_name=request.param)
    manager.start_kernel(env=kernel_env(ILUPA_RUNTIME="lua54"))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=TIMEOUT)
    prefix = "%%lua\n" if request.param == "python3" else ""
    if request.param == "python3":
        assert run(client, "%load_ext ilupa")["status"] == "ok"
    assert run(client, prefix + FUNCTION_CELL)["status"] == "ok"
    yield request.param, client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def run(client: Any, code: str) -> dict[str, Any]:
    return client.execute_interactive(code, timeout=TIMEOUT, output_hook=lambda message: None)[
        "content"
    ]


def paged_text(reply: dict[str, Any]) -> str:
    pages = [p["data"]["text/plain"] for p in reply.get("payload", []) if p["source"] == "page"]
    assert len(pages) == 1, reply
    return pages[0]


ILUPA_ONLY = pytest.mark.parametrize("kernel", ["ilupa"], indirect=True)


@ILUPA_ONLY
@pytest.mark.parametrize("request_text", ["string.format?", "?string.format", "string.format??"])
def test_question_mark_on_a_standard_function_pages_its_signature(
    kernel: tuple[str, Any], request_text: str
) -> None:
    _, client = kernel
    text = paged_text(run(client, request_text))
    assert text.startswith("string.format(formatstring, ...)")
    assert "Lua standard library" in text


@ILUPA_ONLY
def test_question_mark_on_a_lua_function_pages_its_source(kernel: tuple[str, Any]) -> None:
    _, client = kernel
    text = paged_text(run(client, "greet?"))
    assert "greet: Lua function defined in" in text
    assert "return 'hi ' .. name" in text


@ILUPA_ONLY
def test_question_mark_on_a_python_name_still_gives_python_help(kernel: tuple[str, Any]) -> None:
    _, client = kernel
    assert run(client, "%%py\nimport json")["status"] == "ok"
    assert "Decode" in paged_text(run(client, "json.loads?"))


def test_shift_tab_in_a_lua_cell_inspects_lua(kernel: tuple[str, Any]) -> None:
    name, client = kernel
    code = ("%%lua\n" if name == "python3" else "") + "local s = string.format('%d', 1)\ngreet"
    for cursor, expected in [(code.index("format") + 3, "string.format("), (len(code), "greet:")]:
        client.inspect(code, cursor)
        reply = client.get_shell_msg(timeout=TIMEOUT)["content"]
        assert reply["found"], reply
        assert reply["data"]["text/plain"].startswith(expected)
