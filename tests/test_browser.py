"""End to end in a real JupyterLab and headless Chromium: Lua tables and a Lua-observed slider.

Runs when Debian's chromium (/usr/bin/chromium) and Playwright for Python are
installed (`.ci/run` installs both); it never downloads a browser. The page's
screenshot is kept in tests/output/.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from tests.notebook_helpers import notebook_of

CHROMIUM = "/usr/bin/chromium"
OUTPUT = Path(__file__).resolve().parent / "output"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
    pytest.mark.skipif(
        shutil.which("jupyter-lab", path=Path(sys.executable).parent) is None,
        reason="jupyterlab is not installed",
    ),
]

LUA_TABLE_CELL = '%%lua\nt = {note = "<script>alert(1)</script>", values = {10, 20, 30}}\nt'
SLIDER_CELL = (
    "%%lua\n"
    "function fib(n) local a, b = 0, 1 for _ = 1, n do a, b = b, a + b end return a end\n"
    'slider = widgets.IntSlider{min = 0, max = 30, value = 3, description = "n"}\n'
    'label = widgets.Label{"fib(3) = 2"}\n'
    "slider:observe(function(change)\n"
    '  label.value = string.format("Lua says fib(%d) = %d", change.new, fib(change.new))\n'
    'end, "value")\n'
    "display(widgets.VBox{slider, label})"
)


# The notebook panel's own kernel, ready and idle: running cells before that asks for a kernel.
KERNEL_IDLE = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
    && panel.sessionContext.session.kernel;
  return kernel && kernel.status === "idle" && panel.sessionContext.isReady;
}"""
# Not awaited: the command's promise settles only when every cell has run.
RUN_ALL = "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server on 127.0.0.1 with a token, serving a temp dir; yields its base URL."""
    root = tmp_path_factory.mktemp("lab")
    notebook = notebook_of("%load_ext ilupa", LUA_TABLE_CELL, SLIDER_CELL)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, root / "lua.ipynb")
    token, port = secrets.token_hex(16), free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root.parent / f"{root.name}-config")}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter-lab"),
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.extension_manager=readonly",
            *(["--allow-root"] if os.geteuid() == 0 else []),  # CI containers run as root
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(root.parent / f"{root.name}.log", "w"),  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError((root.parent / f"{root.name}.log").read_text()) from None
                time.sleep(0.3)
        yield f"{base}/lab/tree/lua.ipynb?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_lab_renders_lua_table_and_a_lua_observer_follows_the_slider(lab: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(lab, wait_until="domcontentloaded")  # "load" waits on Lab's sockets
            page.wait_for_function(
                "() => window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=30_000
            )
            page.wait_for_function(KERNEL_IDLE, timeout=60_000)
            page.evaluate(RUN_ALL)
            output = ".jp-OutputArea-output .ilupa-table"
            deadline = time.monotonic() + 60
            while not page.locator(output).count() and time.monotonic() < deadline:
                dialog = page.locator(".jp-Dialog .jp-mod-accept")
                if dialog.count():  # a fresh Lab may still ask which kernel to use
                    dialog.first.click()
                    page.wait_for_function(KERNEL_IDLE, timeout=30_000)
                    page.evaluate(RUN_ALL)
                page.wait_for_timeout(250)

            table = page.wait_for_selector(output, timeout=30_000)
            text = table.inner_text()
            assert "<script>alert(1)</script>" in text  # escaped: shown as text, not run
            assert "values" in text and "30" in text
            assert page.locator(".jp-OutputArea-output .ilupa-table script").count() == 0

            label = page.locator(".widget-label", has_text="fib(3) = 2")
            label.wait_for(timeout=30_000)
            handle = page.locator(".widget-slider .noUi-handle").first
            handle.focus()
            for _ in range(7):
                page.keyboard.press("ArrowRight")
            page.locator(".widget-label", has_text="Lua says fib(10) = 55").wait_for(timeout=30_000)
        finally:
            page.screenshot(path=str(OUTPUT / "browser-lua-widgets.png"), full_page=True)
            browser.close()
