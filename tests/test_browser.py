"""End to end in a real JupyterLab and headless Chromium, on both kernels.

One notebook runs on the Python kernel with `%%lua` cells, one on the `ilupa`
kernel (its kernelspec installed into a temporary prefix that the server finds
through JUPYTER_PATH). In each, Lab renders an escaped Lua table and a memory
warning, and a slider moved in the page runs a Lua observer whose result shows.
Runs when Debian's chromium (/usr/bin/chromium) and Playwright for Python are
installed (`.ci/run` installs both); it never downloads a browser. A
screenshot per notebook is kept in tests/output/.

ilupa's JupyterLab extension (installed with the package, see docs/jupyterlab.md)
is checked here too: in the editor, a `%%lua` cell and the code after `%lua` in a
Python notebook get Lua's token classes, a `%%py` cell in an ilupa notebook Python's.

The debugger panel, on the ilupa kernel: the toolbar's bug button starts it, a click
in a Lua cell's gutter sets a breakpoint, the run stops there, the panel's variables
tree shows a local's value, and the run continues to the end.
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
from contextlib import contextmanager
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

LUA_TABLE = 't = {note = "<script>alert(1)</script>", values = {10, 20, 30}}\nt'
SLIDER = (
    "function fib(n) local a, b = 0, 1 for _ = 1, n do a, b = b, a + b end return a end\n"
    'slider = widgets.IntSlider{min = 0, max = 30, value = 3, description = "n"}\n'
    'label = widgets.Label{"fib(3) = 2"}\n'
    "slider:observe(function(change)\n"
    '  label.value = string.format("Lua says fib(%d) = %d", change.new, fib(change.new))\n'
    'end, "value")\n'
    "display(widgets.VBox{slider, label})"
)
# About 38 MiB of small tables against a 48 MB budget (45.8 MiB): past the 75% warning
# share, well below the limit. Last, so earlier cells run without the warning.
BUDGET = "%config LuaMagics.memory_limit = '48MB'"
MEMORY = "held = {}\nfor i = 1, 4e5 do held[i] = {i} end"

NOTEBOOKS = {
    "python-kernel": (
        {"name": "python3", "display_name": "Python 3"},
        ["%load_ext ilupa\n" + BUDGET, *("%%lua\n" + cell for cell in (LUA_TABLE, SLIDER, MEMORY))],
    ),
    "ilupa-kernel": (
        {"name": "ilupa", "display_name": "Lua (ilupa)", "language": "lua"},
        [BUDGET, LUA_TABLE, SLIDER, MEMORY],
    ),
}

# Highlighting: cells that are only looked at, never run. A Lua cell's `local`, `function`
# and `end` are keywords and `--` starts a comment; in Python they are names and operators.
LUA_FUNCTION = "local function twice(x) -- doubles\n  return 2 * x\nend"
PYTHON_FUNCTION = "def twice(x):  # doubles\n    return 2 * x"
LINE_MAGIC = "nothing = %lua nil -- none\nif nothing is None:  # Python again\n    pass"
# What JupyterLab's highlight style colours each token as, in each language (None: it
# is no highlighted token at all).
LUA_TOKENS = {"local": "keyword", "function": "keyword", "end": "keyword", "-- doubles": "comment"}
LUA_READ_AS_PYTHON = {"local": None, "function": None, "end": None, "-- doubles": None}
PYTHON_TOKENS = {"def": "keyword", "return": "keyword", "# doubles": "comment"}
LINE_MAGIC_TOKENS = {
    "nil": "keyword",
    "-- none": "comment",
    "if": "keyword",
    "# Python again": "comment",
}
PYTHON_KERNELSPEC = {"name": "python3", "display_name": "Python 3"}
ILUPA_KERNELSPEC = {"name": "ilupa", "display_name": "Lua (ilupa)", "language": "lua"}
HIGHLIGHTING = {
    "python-highlighting": (
        PYTHON_KERNELSPEC,
        # The last cell is Lua without its magic, until the test types `%%lua` into it.
        ["%%lua\n" + LUA_FUNCTION, PYTHON_FUNCTION, LINE_MAGIC, LUA_FUNCTION],
    ),
    "ilupa-highlighting": (ILUPA_KERNELSPEC, ["%%py\n" + PYTHON_FUNCTION, LUA_FUNCTION]),
}

# The debugger: a breakpoint on the cell's last line stops with `total` at 60; the
# second cell, run after continuing, shows what the first one left.
SUMMING = "local total = 0\nfor i = 1, 3 do\n  total = total + i * 10\nend\nsummed = total"
BREAKPOINT_LINE = 5
DEBUGGING = {"ilupa-debugging": (ILUPA_KERNELSPEC, [SUMMING, "summed + 1"])}

# [text, categories] for every highlighted span of cell `index` of the open notebook. A
# category is what JupyterLab's highlight style colours the span's classes with:
# "keyword" for a class whose rule sets `color: var(--jp-mirror-editor-keyword-color)`.
TOKEN_CLASSES = r"""(index) => {
  const categories = new Map();
  const sheets = [...document.styleSheets, ...(document.adoptedStyleSheets || [])];
  for (const sheet of sheets) {
    let rules;
    try { rules = sheet.cssRules; } catch (error) { continue; }
    for (const rule of rules) {
      const color = rule.style && /--jp-mirror-editor-([a-z-]+?)-color/.exec(rule.style.color);
      if (!color || !rule.selectorText) continue;
      for (const selector of rule.selectorText.split(",")) {
        const single = /^\s*\.([^\s.:>\[]+)\s*$/.exec(selector);
        if (single) categories.set(single[1], color[1]);
      }
    }
  }
  const cell = document.querySelectorAll(".jp-Notebook .jp-Cell")[index];
  const content = cell && cell.querySelector(".cm-content");
  if (!content) return null;
  return [...content.querySelectorAll(".cm-line span")].map(span => {
    const found = [];
    for (let node = span; node && !node.classList.contains("cm-line"); node = node.parentElement)
      for (const name of node.classList) if (categories.has(name)) found.push(categories.get(name));
    return [span.textContent, found];
  });
}"""

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


def install_ilupa_kernelspec(prefix: Path) -> Path:
    """`python -m ilupa.kernel install --prefix`; returns the folder for JUPYTER_PATH."""
    subprocess.run(
        [sys.executable, "-m", "ilupa.kernel", "install", "--prefix", str(prefix)],
        check=True,
        capture_output=True,
    )
    return prefix / "share" / "jupyter"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server on 127.0.0.1 with a token, serving the test notebooks.

    Yields the URL of a notebook with `{name}` in place of its stem; each notebook
    opens in its own workspace, so one page never shows the other's outputs.
    """
    root = tmp_path_factory.mktemp("lab")
    for name, (kernelspec, cells) in {**NOTEBOOKS, **HIGHLIGHTING, **DEBUGGING}.items():
        notebook = notebook_of(*cells)
        notebook.metadata["kernelspec"] = kernelspec
        nbformat.write(notebook, root / f"{name}.ipynb")
    kernels = install_ilupa_kernelspec(tmp_path_factory.mktemp("prefix"))
    token, port = secrets.token_hex(16), free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(root.parent / f"{root.name}-config"),
        "JUPYTER_PATH": os.pathsep.join(
            filter(None, [str(kernels), os.environ.get("JUPYTER_PATH")])
        ),
    }
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
        yield f"{base}/lab/workspaces/{{name}}/tree/{{name}}.ipynb?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_all_cells(page: sync_api.Page, until: str) -> None:
    """Run every cell once the notebook's kernel is idle; wait for `until` to appear."""
    page.wait_for_function(
        "() => window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=30_000
    )
    page.wait_for_function(KERNEL_IDLE, timeout=60_000)
    page.evaluate(RUN_ALL)
    deadline = time.monotonic() + 60
    while not page.locator(until).count() and time.monotonic() < deadline:
        dialog = page.locator(".jp-Dialog .jp-mod-accept")
        if dialog.count():  # a fresh Lab may still ask which kernel to use
            dialog.first.click()
            page.wait_for_function(KERNEL_IDLE, timeout=30_000)
            page.evaluate(RUN_ALL)
        page.wait_for_timeout(250)


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_lab_renders_lua_output_and_a_lua_observer_follows_the_slider(lab: str, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    warning = ".jp-OutputArea-output .ilupa-memory-warning"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        try:
            page.goto(
                lab.format(name=name), wait_until="domcontentloaded"
            )  # "load" waits on sockets
            run_all_cells(page, until=warning)

            kernel = page.evaluate(
                "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.name"
            )
            assert kernel == NOTEBOOKS[name][0]["name"]

            table = page.wait_for_selector(".jp-OutputArea-output .ilupa-table", timeout=30_000)
            text = table.inner_text()
            assert "<script>alert(1)</script>" in text  # escaped: shown as text, not run
            assert "values" in text and "30" in text
            assert page.locator(".jp-OutputArea-output .ilupa-table script").count() == 0

            shown = page.wait_for_selector(warning, timeout=60_000).inner_text()
            assert "Lua memory warning" in shown and "budget" in shown

            label = page.locator(".widget-label", has_text="fib(3) = 2")
            label.wait_for(timeout=30_000)
            handle = page.locator(".widget-slider .noUi-handle").first
            handle.focus()
            for _ in range(7):
                page.keyboard.press("ArrowRight")
            page.locator(".widget-label", has_text="Lua says fib(10) = 55").wait_for(timeout=30_000)
        finally:
            page.screenshot(path=str(OUTPUT / f"browser-{name}.png"), full_page=True)
            browser.close()


def assert_highlighted(page: sync_api.Page, index: int, expected: dict[str, str | None]) -> None:
    """Each token of cell `index` named in `expected` carries exactly that one category.

    Polls for up to 30 s first: the languages load, and the cell's language is
    chosen, after the editor appears.
    """
    wanted = {text: [kind] if kind else None for text, kind in expected.items()}
    deadline = time.monotonic() + 30
    while True:
        tokens = page.evaluate(TOKEN_CLASSES, index) or []
        found = {text: categories for text, categories in tokens if text in expected}
        shown = {text: found.get(text) for text in expected}
        if shown == wanted or time.monotonic() > deadline:
            break
        page.wait_for_timeout(250)
    assert shown == wanted, tokens


@contextmanager
def opened_notebook(lab: str, name: str) -> Iterator[sync_api.Page]:
    """A browser page showing notebook `name`, its kernel started (cells are not run).

    The page's screenshot is kept in tests/output/browser-{name}.png, however the test ends.
    """
    OUTPUT.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        try:
            page.goto(lab.format(name=name), wait_until="domcontentloaded")
            page.wait_for_function(
                "() => window.jupyterapp && document.querySelector('.jp-Notebook .cm-content')",
                timeout=30_000,
            )
            # An ilupa notebook's cells become Lua when the kernel's language_info arrives.
            page.wait_for_function(KERNEL_IDLE, timeout=60_000)
            yield page
        finally:
            page.screenshot(path=str(OUTPUT / f"browser-{name}.png"), full_page=True)
            browser.close()


def test_a_lua_cell_magic_and_lua_after_a_line_magic_are_lua_in_a_python_notebook(
    lab: str,
) -> None:
    with opened_notebook(lab, "python-highlighting") as page:
        assert_highlighted(page, 0, LUA_TOKENS)  # %%lua
        assert_highlighted(page, 1, PYTHON_TOKENS)  # a plain Python cell stays Python
        assert_highlighted(page, 2, LINE_MAGIC_TOKENS)  # Lua after %lua, Python after it
        assert_highlighted(page, 3, LUA_READ_AS_PYTHON)  # no magic yet
        page.locator(".jp-Notebook .jp-Cell").nth(3).locator(".cm-content").click()
        page.keyboard.press("Control+Home")
        page.keyboard.type("%%lua")
        page.keyboard.press("Enter")
        assert_highlighted(page, 3, LUA_TOKENS)  # Lua as soon as the magic is typed
        page.keyboard.press("Control+/")  # toggle comment on the line after the magic
        source = page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.widgets[3]"
            ".model.sharedModel.getSource()"
        )
        assert source.splitlines()[1] == "-- " + LUA_FUNCTION.splitlines()[0], source


def test_a_python_cell_magic_is_python_in_an_ilupa_notebook(lab: str) -> None:
    with opened_notebook(lab, "ilupa-highlighting") as page:
        kernel = page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.name"
        )
        assert kernel == "ilupa"
        assert_highlighted(page, 0, PYTHON_TOKENS)  # %%py
        assert_highlighted(page, 1, LUA_TOKENS)  # a plain cell of this kernel stays Lua


# [name, value] of every row of the debugger panel's variables tree.
STOPPED_VARIABLES = """() => [
  ...document.querySelectorAll('.jp-DebuggerVariables-body .jp-DebuggerVariables-name')
].map(name => [
  name.textContent,
  name.parentElement.querySelector('.jp-DebuggerVariables-detail')?.textContent,
])"""
# Not awaited: the command's promise settles when the cell has run (after the stop).
RUN_CELL = "() => { window.jupyterapp.commands.execute('notebook:run-cell'); }"
CELL_OUTPUT = """(index) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
  const out = cell && cell.querySelector('.jp-OutputArea-output');
  return out ? out.textContent : null;
}"""


def test_the_debugger_panel_stops_at_a_gutter_breakpoint_shows_a_local_and_continues(
    lab: str,
) -> None:
    with opened_notebook(lab, "ilupa-debugging") as page:
        bug = page.locator(".jp-DebuggerBugButton").first
        bug.wait_for(timeout=30_000)
        bug.click()
        page.locator(".jp-DebuggerBugButton[aria-pressed='true']").first.wait_for(timeout=30_000)
        page.evaluate("() => window.jupyterapp.commands.execute('debugger:show-panel')")
        first = page.locator(".jp-Notebook .jp-Cell").first
        # the gutter's first element is CodeMirror's hidden spacer: line n is element n
        gutter = first.locator(".cm-breakpoint-gutter .cm-gutterElement")
        gutter.nth(BREAKPOINT_LINE).click()
        # the panel lists a breakpoint once the kernel has answered setBreakpoints
        page.locator(".jp-DebuggerBreakpoint .jp-DebuggerBreakpoint-line").filter(
            has_text=str(BREAKPOINT_LINE)
        ).first.wait_for(timeout=30_000)
        first.locator(".cm-content").click()
        page.evaluate(RUN_CELL)
        deadline = time.monotonic() + 60
        shown: list[list[str]] = []
        while time.monotonic() < deadline:
            shown = page.evaluate(STOPPED_VARIABLES)
            if ["total", "60"] in shown:
                break
            page.wait_for_timeout(250)
        assert ["total", "60"] in shown, shown  # the tree shows a value, not "number"
        page.evaluate("() => { window.jupyterapp.commands.execute('debugger:continue'); }")
        page.wait_for_function(KERNEL_IDLE, timeout=60_000)
        page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".cm-content").click()
        page.evaluate(RUN_CELL)
        page.wait_for_function(f"() => ({CELL_OUTPUT})(1) === '61'", timeout=60_000)
