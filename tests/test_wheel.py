"""A built wheel is all ilupa needs: in a fresh venv, cells, the sandbox and the kernel run.

The wheel is built from a copy of this checkout's files (those git tracks or would
track: no `build/` left over from an earlier build can slip in) with `pip wheel
--no-deps` and the project's own build backend, installed with its dependencies
into a venv that sees no other site-packages, and used from a folder outside the
checkout, so nothing can come from the source tree.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

pytestmark = pytest.mark.slow

CHECKOUT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class InstalledWheel:
    wheel: Path
    python: Path
    workdir: Path  # outside the checkout: the venv's ilupa is the only one to import


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InstalledWheel]:
    root = tmp_path_factory.mktemp("wheel")
    source = copy_of_checkout(root / "source")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"),
         str(source)],
        check=True,
    )  # fmt: skip
    (wheel,) = (root / "dist").glob("ilupa-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True)
    python = root / "venv" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-compile", str(wheel)], check=True
    )
    workdir = root / "work"
    workdir.mkdir()
    yield InstalledWheel(wheel, python, workdir)


def copy_of_checkout(target: Path) -> Path:
    """The files of the checkout that git tracks or would track, copied to `target`."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=CHECKOUT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        if (CHECKOUT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(CHECKOUT / name, target / name)
    return target


def run_in_venv(installed: InstalledWheel, script: str) -> str:
    completed = subprocess.run(
        [str(installed.python), "-c", textwrap.dedent(script)],
        cwd=installed.workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


def test_the_wheel_holds_every_lua_file_and_the_logo(installed: InstalledWheel) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    lua_files = {p.relative_to(CHECKOUT).as_posix() for p in (CHECKOUT / "ilupa").rglob("*.lua")}
    assert "ilupa/sandbox/sandbox.lua" in lua_files
    assert lua_files <= names, lua_files - names
    for logo in ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg"):
        assert f"ilupa/kernel/logo/{logo}" in names


def test_cells_and_sandbox_cells_run_from_the_installed_wheel(installed: InstalledWheel) -> None:
    out = run_in_venv(
        installed,
        """
        import json, sys
        from IPython.core.interactiveshell import InteractiveShell
        import ilupa

        shell = InteractiveShell.instance()
        shell.run_cell("%load_ext ilupa", store_history=True).raise_error()
        cell = shell.run_cell("%%lua\\nlocal t = {}\\nfor i = 1, 10 do t[i] = i end\\n#t",
                              store_history=True)
        cell.raise_error()
        sandboxed = shell.run_cell("%%lua --sandbox\\nreturn type(io) .. ' ' .. 6 * 7",
                                   store_history=True)
        sandboxed.raise_error()
        # a C module (Debian's lua-cjson, where installed) through the wheel's binding
        library = shell.run_cell("%%lua\\nlocal ok, cjson = pcall(require, 'cjson')\\n"
                                 "return ok and cjson.encode({7}) or 'absent: ' .. cjson",
                                 store_history=True)
        library.raise_error()
        print(json.dumps({"file": ilupa.__file__, "prefix": sys.prefix,
                          "cell": cell.result, "sandbox": sandboxed.result,
                          "library": library.result}))
        """,
    )
    found = json.loads(out.strip().splitlines()[-1])
    assert found["file"].startswith(found["prefix"])  # the venv's copy, not the checkout
    assert found["cell"] == 10
    assert found["sandbox"] == "nil 42"
    if Path("/usr/lib/x86_64-linux-gnu/lua/5.1/cjson.so").exists():
        assert found["library"] == "[7]"


def test_the_kernel_installed_from_the_wheel_runs_a_cell(installed: InstalledWheel) -> None:
    prefix = installed.workdir / "prefix"
    subprocess.run(
        [str(installed.python), "-m", "ilupa.kernel", "install", "--prefix", str(prefix)],
        cwd=installed.workdir,
        check=True,
    )
    kernels = prefix / "share" / "jupyter" / "kernels"
    spec_manager = KernelSpecManager(kernel_dirs=[str(kernels)])
    assert spec_manager.get_kernel_spec("ilupa").argv[0] == str(installed.python)
    manager = KernelManager(kernel_name="ilupa", kernel_spec_manager=spec_manager)
    manager.start_kernel(cwd=str(installed.workdir))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        lua_cell = client.execute_interactive("answer = 6 * 7", timeout=60)
        assert lua_cell["content"]["status"] == "ok"
        outputs: list[dict] = []
        reply = client.execute_interactive(
            "%%py\nimport ilupa, sys\nanswer = %lua answer\n"
            "ilupa.__file__.startswith(sys.prefix), answer",
            timeout=60,
            output_hook=outputs.append,
        )
        assert reply["content"]["status"] == "ok"
        results = [m["content"]["data"]["text/plain"] for m in outputs
                   if m["msg_type"] == "execute_result"]  # fmt: skip
        assert results == ["(True, 42)"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
