"""In a real kernel, the memory warning reaches the front end while the cell still runs."""

from __future__ import annotations

import time
from typing import Any

import pytest
from jupyter_client.manager import start_new_kernel

pytestmark = pytest.mark.kernel

CELL = """%%lua
held = {}
for i = 1, 4e5 do held[i] = {i} end
local stop = os.clock() + 1.5
while os.clock() < stop do end
"""


@pytest.fixture(scope="module")
def kernel() -> Any:
    manager, client = start_new_kernel(kernel_name="python3")
    yield client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def run(client: Any, code: str) -> tuple[list[tuple[float, dict[str, Any]]], float]:
    """Execute `code`; return its iopub messages (with arrival times) and the reply time."""
    msg_id = client.execute(code)
    messages = []
    while True:
        message = client.get_iopub_msg(timeout=60)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append((time.monotonic(), message))
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            break
    client.get_shell_msg(timeout=60)
    return messages, messages[-1][0]


def test_warning_is_shown_in_the_cell_before_it_finishes(kernel: Any) -> None:
    run(kernel, "%load_ext ilupa\n%config LuaMagics.runtime = 'lua54'")
    run(kernel, "%config LuaMagics.memory_limit = '40MB'")
    messages, finished = run(kernel, CELL)
    warnings = [
        (arrived, message)
        for arrived, message in messages
        if message["msg_type"] == "display_data"
        and "still running" in message["content"]["data"]["text/plain"]
    ]
    assert warnings, [message["msg_type"] for _, message in messages]
    arrived, warning = warnings[0]
    assert "text/html" in warning["content"]["data"]
    assert finished - arrived > 1.0  # it came while the 1.5 s spin was still going


PRINTING_CELL = """%%lua
held = {}
for i = 1, 4e5 do
  held[i] = {i}
  if i % 20000 == 0 then print('line ' .. i) end
end
"""


def test_warning_sits_between_whole_lines_of_the_cells_output(kernel: Any) -> None:
    run(kernel, "%load_ext ilupa\n%config LuaMagics.runtime = 'lua54'")
    run(kernel, "%config LuaMagics.memory_limit = '40MB'")
    run(kernel, "%%lua\nheld = nil\ncollectgarbage()")  # what an earlier test left
    messages, _ = run(kernel, PRINTING_CELL)
    outputs = [
        ("warning", message["content"]["data"]["text/plain"])
        if message["msg_type"] == "display_data"
        else ("stream", message["content"]["text"])
        for _, message in messages
        if message["msg_type"] in ("stream", "display_data")
    ]
    kinds = [kind for kind, _ in outputs]
    assert "warning" in kinds, outputs
    first_warning = kinds.index("warning")
    before = "".join(text for kind, text in outputs[:first_warning] if kind == "stream")
    after = "".join(text for kind, text in outputs[first_warning:] if kind == "stream")
    assert before and after  # the warning came while the cell was still printing
    assert before.endswith("\n")  # no line was cut in two
    expected = "".join(f"line {i}\n" for i in range(20000, 400001, 20000))
    assert before + after == expected  # every line, in order, none mixed with the warning


OPEN_LINE_CELL = """%%lua
io.write("loading: ")
held = {}
for i = 1, 4e5 do held[i] = {i} end
io.write("done\\n")
"""


def test_warning_waits_for_the_line_being_written_to_end(kernel: Any) -> None:
    run(kernel, "%load_ext ilupa\n%config LuaMagics.runtime = 'lua54'")
    run(kernel, "%config LuaMagics.memory_limit = '40MB'")
    run(kernel, "%%lua\nheld = nil\ncollectgarbage()")  # what an earlier test left
    messages, _ = run(kernel, OPEN_LINE_CELL)
    kinds = [message["msg_type"] for _, message in messages]
    assert "display_data" in kinds, kinds
    before = "".join(
        message["content"]["text"]
        for _, message in messages[: kinds.index("display_data")]
        if message["msg_type"] == "stream"
    )
    assert before == "loading: done\n"
