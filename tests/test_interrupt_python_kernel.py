"""SIGINT (the stop button) stops a `%%lua` cell in a Python kernel, keeping state."""

from __future__ import annotations

import pytest
from jupyter_client.manager import KernelManager

from tests.test_kernel_interrupt import TIMEOUT, execute, interrupt_after_start

pytestmark = pytest.mark.kernel


@pytest.mark.parametrize("runtime", ["lua54", "luajit21"])
def test_sigint_stops_a_lua_cell_in_a_python_kernel(runtime: str) -> None:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        setup = f"%load_ext ilupa\n%config LuaMagics.runtime = '{runtime}'\nkept = [1, 2]"
        assert execute(client, setup)["status"] == "ok"
        assert execute(client, "%%lua\nx = 0")["status"] == "ok"
        loop = "%%lua\nco = coroutine.wrap(function() while true do x = x + 1 end end)\nco()"
        content = interrupt_after_start(manager, client, loop)
        assert content["status"] == "error"
        assert content["ename"] == "KeyboardInterrupt"
        assert execute(client, "%lua x > 0")["result"] == "True"
        assert execute(client, "kept")["result"] == "[1, 2]"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
