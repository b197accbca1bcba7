"""`python -m ilupa.kernel install` writes a kernelspec a frontend can start by name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

from tests.kernel_support import SPEC_DIR

pytestmark = pytest.mark.kernel


def test_install_command_writes_spec_with_interpreter_and_runtime(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "ilupa.kernel", "install", "--prefix", str(tmp_path),
         "--runtime", "lua54"],
        check=True,
    )  # fmt: skip
    spec = json.loads((tmp_path / "share/jupyter/kernels/ilupa/kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    assert spec["env"] == {"ILUPA_RUNTIME": "lua54"}
    assert "Lua" in spec["display_name"] and "lua54" in spec["display_name"]
    assert spec["language"] == "lua"


def test_kernel_from_temporary_prefix_starts_by_name_and_runs_lua() -> None:
    assert SPEC_DIR.is_dir()
    manager, client = start_new_kernel(kernel_name="ilupa")
    try:
        reply = client.execute_interactive("return 'from ' .. _VERSION", timeout=30)
        assert reply["content"]["status"] == "ok"
        info = client.kernel_info(reply=True, timeout=30)["content"]["language_info"]
        assert info["name"] == "lua" and info["file_extension"] == ".lua"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
