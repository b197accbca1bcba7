"""The prebuilt JupyterLab extension arrives with the package, where JupyterLab finds it.

`pip install ilupa` (and `make install`'s editable install) puts the extension
built from labextension/ under share/jupyter/labextensions/ilupa-jupyterlab:
no `jupyter labextension install`, no rebuild of JupyterLab. Where it finds Lua
in a cell is checked by node's test runner over the built code (labextension/test/);
how cells look, in a real Lab, by tests/test_browser.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from jupyter_core.paths import jupyter_path

NAME = "ilupa-jupyterlab"
ROOT = Path(__file__).resolve().parent.parent


def installed_extension() -> Path:
    """The first labextensions folder on Jupyter's data path that holds ilupa's extension."""
    for folder in jupyter_path("labextensions"):
        if (Path(folder) / NAME / "package.json").exists():
            return Path(folder) / NAME
    raise AssertionError(f"{NAME} is in none of {jupyter_path('labextensions')}")


def test_the_installed_extension_is_a_prebuilt_one_owned_by_the_ilupa_package() -> None:
    folder = installed_extension()
    package = json.loads((folder / "package.json").read_text())
    assert package["name"] == NAME
    assert package["version"] == version("ilupa")
    assert (folder / package["jupyterlab"]["_build"]["load"]).is_file()  # the built bundle
    install = json.loads((folder / "install.json").read_text())
    assert install["packageManager"] == "python" and install["packageName"] == "ilupa"


def test_jupyter_labextension_list_shows_it_enabled_and_ok() -> None:
    pytest.importorskip("jupyterlab", reason="JupyterLab comes with the `browser` extra")
    listing = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter"), "labextension", "list"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)
    line = next((line for line in output.splitlines() if NAME in line), "")
    assert line.split()[:4] == [NAME, f"v{version('ilupa')}", "enabled", "OK"], output
    assert "(python, ilupa)" in line


def test_the_wheel_carries_every_lua_file_and_the_extension(tmp_path: Path) -> None:
    """A wheel built from this tree (pip, isolated build): what `pip install ilupa` gets.

    The extension built by `make install` is reused (skip-if-exists), so no
    Node.js runs here; pip fetches the build backend into its isolated build.
    """
    assert (ROOT / "ilupa" / "labextension" / "package.json").exists(), "run make install"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("ilupa-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    lua_files = {path.relative_to(ROOT).as_posix() for path in (ROOT / "ilupa").rglob("*.lua")}
    assert "ilupa/sandbox/sandbox.lua" in lua_files
    assert lua_files <= names, sorted(lua_files - names)
    data = f"ilupa-{version('ilupa')}.data/data/share/jupyter/labextensions/{NAME}/"
    assert {data + "package.json", data + "install.json"} <= names
    assert any(name.startswith(data + "static/remoteEntry.") for name in names)
    assert not any(name.startswith("ilupa/labextension/") for name in names)  # data files only


def test_the_extension_finds_lua_where_ilupas_magics_do() -> None:
    """labextension/test/magics.test.mjs over labextension/lib, which `make install` builds."""
    node = shutil.which("node")
    assert node, "Node.js builds the extension: make install needs it"
    run = subprocess.run(
        [node, "--test", "test/magics.test.mjs"],
        cwd=ROOT / "labextension",
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    passed = re.search(r"^# pass (\d+)$", run.stdout, re.MULTILINE)
    assert passed and int(passed[1]) > 0 and "# fail 0" in run.stdout, run.stdout
