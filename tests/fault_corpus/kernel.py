"""A real kernel driven through jupyter_client, restarted when an entry kills it.

Each entry of the corpus runs in a kernel that already holds known Lua globals and
Python variables (`STATE_SETUP`); after the entry, `state_report` reads them all
back through a Lua cell and a Python cell, which also proves the kernel still
answers.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.manager import KernelManager

from tests.kernel_support import kernel_env  # installs the ilupa kernelspec first

TIMEOUT = 30
INTERRUPT_AFTER = 0.5

PYTHON_SETUP = """\
kept_number = 42
kept_text = 'héllo wörld'
kept_list = [1, 'two', 3.5]
kept_dict = {'a': 1, 'b': [2, 3]}
def kept_function(x):
    return x * 2
"""

LUA_SETUP = """\
lua_number = 7
lua_text = "lua text"
lua_table = {1, 2, 3, name = "t", nested = {deep = true}}
function lua_function(x) return x + 1 end
lua_list_ref = py.kept_list
lua_dict_ref = py.kept_dict
"""

LUA_CHECK = """\
return table.concat({tostring(lua_number), lua_text, tostring(#lua_table), lua_table.name,
  tostring(lua_table.nested.deep), tostring(lua_function(1)), tostring(lua_list_ref[1]),
  tostring(lua_dict_ref['a']), tostring(py.kept_number), tostring(py.kept_function(4))}, '|')
"""
LUA_EXPECTED = "'7|lua text|3|t|true|2|two|1|42|8'"

PYTHON_CHECK = """\
lua_list_seen = %lua lua_list_ref
lua_dict_seen = %lua lua_dict_ref
(kept_number, kept_text, kept_list, kept_dict, kept_function(3),
 lua_list_seen is kept_list, lua_dict_seen is kept_dict)
"""
PYTHON_EXPECTED = repr((42, "héllo wörld", [1, "two", 3.5], {"a": 1, "b": [2, 3]}, 6, True, True))


@dataclass
class Reply:
    """What one execute request gave back."""

    status: str
    ename: str = ""
    evalue: str = ""
    result: str = ""
    stdout: str = ""
    stderr: str = ""
    outputs: list[str] = field(default_factory=list)

    @property
    def error_text(self) -> str:
        return f"{self.ename}: {self.evalue}"


class CorpusKernel:
    """One kernel (`ilupa`, or `python3` with `%load_ext ilupa`) holding the known state."""

    def __init__(self, kind: str, runtime: str | None = None, setup: tuple = ()) -> None:
        self.kind = kind
        self.runtime = runtime
        self.setup = setup
        self.manager: KernelManager | None = None
        self.client: Any = None
        self.start()

    # -- the cells, in either kernel -------------------------------------------

    def lua_cell(self, code: str) -> str:
        return code if self.kind == "ilupa" else "%%lua\n" + code

    def python_cell(self, code: str) -> str:
        return "%%py\n" + code if self.kind == "ilupa" else code

    # -- life -----------------------------------------------------------------

    def start(self) -> None:
        self.manager = KernelManager(kernel_name="ilupa" if self.kind == "ilupa" else "python3")
        env = {"ILUPA_RUNTIME": self.runtime} if self.runtime else {}
        self.manager.start_kernel(env=kernel_env(**env))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=TIMEOUT)
        self.set_up()

    def set_up(self) -> None:
        """Load ilupa (Python kernel), define the known state, run the group's setup."""
        cells = []
        if self.kind == "python":
            cells.append("%load_ext ilupa")
            if self.runtime:
                cells.append(f"%lua_reset {self.runtime}")
        cells += [self.python_cell(PYTHON_SETUP), self.lua_cell(LUA_SETUP)]
        for entry in self.setup:  # Entry objects: Lua, Python or raw cells
            cells.append(
                {"lua": self.lua_cell, "python": self.python_cell}.get(entry.language, str)(
                    entry.code
                )
            )
        for cell in cells:
            reply = self.execute(cell)
            assert reply.status == "ok", (cell, reply)

    def is_alive(self) -> bool:
        return self.manager is not None and self.manager.is_alive()

    def restart(self) -> None:
        self.shutdown()
        self.start()

    def shutdown(self) -> None:
        if self.client is not None:
            self.client.stop_channels()
        if self.manager is not None:
            self.manager.shutdown_kernel(now=True)
        self.manager = self.client = None

    # -- running cells ------------------------------------------------------------

    def execute(self, code: str, interrupt: bool = False, timeout: float = TIMEOUT) -> Reply:
        """Run `code`; with `interrupt`, send SIGINT once it has run for a moment."""
        msg_id = self.client.execute(code, stop_on_error=False, allow_stdin=False)
        reply = Reply(status="")
        deadline = time.monotonic() + timeout
        interrupted = not interrupt
        busy_since: float | None = None
        while True:
            if not interrupted and busy_since and time.monotonic() - busy_since > INTERRUPT_AFTER:
                self.manager.interrupt_kernel()
                interrupted = True
            try:
                message = self.client.get_iopub_msg(timeout=0.1)
            except queue.Empty:
                if time.monotonic() > deadline or not self.is_alive():
                    return Reply(status="dead" if not self.is_alive() else "timeout")
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            self._collect(message, reply)
            kind, content = message["msg_type"], message["content"]
            if kind == "status" and content["execution_state"] == "busy":
                busy_since = time.monotonic()
            if kind == "status" and content["execution_state"] == "idle":
                break
        shell_reply = self._shell_reply(msg_id)
        reply.status = shell_reply["status"]
        reply.ename = shell_reply.get("ename", reply.ename)
        reply.evalue = shell_reply.get("evalue", reply.evalue)
        return reply

    def _shell_reply(self, msg_id: str) -> dict[str, Any]:
        """The execute reply to `msg_id` (replies to cells that timed out earlier are dropped)."""
        while True:
            message = self.client.get_shell_msg(timeout=TIMEOUT)
            if message["parent_header"].get("msg_id") == msg_id:
                return message["content"]

    @staticmethod
    def _collect(message: dict[str, Any], reply: Reply) -> None:
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            if content["name"] == "stdout":
                reply.stdout += content["text"]
            else:
                reply.stderr += content["text"]
        elif kind == "execute_result":
            reply.result = content["data"].get("text/plain", "")
        elif kind == "display_data":
            reply.outputs.append(content["data"].get("text/plain", ""))
        elif kind == "error":
            reply.ename, reply.evalue = content["ename"], content["evalue"]

    def state_report(self) -> tuple[str, str]:
        """The known state read back: (Lua view, Python view); the caller compares them."""
        lua = self.execute(self.lua_cell(LUA_CHECK))
        python = self.execute(self.python_cell(PYTHON_CHECK))
        return (
            lua.result if lua.status == "ok" else f"failed: {lua.error_text}",
            python.result if python.status == "ok" else f"failed: {python.error_text}",
        )
