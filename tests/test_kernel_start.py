"""The installed kernelspec: its logo, starting from any folder, a kernel_info that fits Lua."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import KernelManager

import tests.kernel_support  # noqa: F401  (installs the kernelspec first)
from ilupa.kernel.kernelspec import LOGO_DIR, LOGO_FILES
from tests.png_reading import decode_png

pytestmark = pytest.mark.kernel


@contextmanager
def kernel_in(folder: Path, **env: str) -> Iterator[BlockingKernelClient]:
    """The installed `ilupa` kernel started with `folder` as its working directory."""
    manager = KernelManager(kernel_name="ilupa")
    manager.start_kernel(cwd=str(folder), env={**os.environ, **env})
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run_cell(client: BlockingKernelClient, code: str) -> tuple[dict, list[dict]]:
    """Run `code`; return the execute_reply content and the iopub messages of the cell."""
    messages: list[dict] = []
    reply = client.execute_interactive(code, timeout=60, output_hook=messages.append)
    return reply["content"], messages


def result_of(messages: list[dict]) -> str:
    for message in messages:
        if message["msg_type"] == "execute_result":
            return message["content"]["data"]["text/plain"]
    raise AssertionError(f"no execute_result in {messages}")


def test_install_puts_the_logo_next_to_kernel_json(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "ilupa.kernel", "install", "--prefix", str(tmp_path)], check=True
    )
    spec_dir = tmp_path / "share/jupyter/kernels/ilupa"
    for name in LOGO_FILES:
        assert (spec_dir / name).read_bytes() == (LOGO_DIR / name).read_bytes()
    for size in (32, 64):
        pixels = decode_png((spec_dir / f"logo-{size}x{size}.png").read_bytes())
        assert pixels.shape == (size, size, 4)
        assert pixels[..., 3].max() == 255 and pixels[0, 0, 3] == 0  # drawn, see-through corner
    assert (spec_dir / "logo-svg.svg").read_text().startswith("<svg")
    from jupyter_client.kernelspec import KernelSpecManager

    resources = KernelSpecManager(kernel_dirs=[str(spec_dir.parent)]).get_all_specs()
    assert resources["ilupa"]["resource_dir"] == str(spec_dir)


@pytest.mark.parametrize("shadow", ["namespace folder", "package that fails to import"])
def test_kernel_starts_in_a_folder_that_holds_an_ilupa_folder(tmp_path: Path, shadow: str) -> None:
    (tmp_path / "ilupa").mkdir()
    if shadow == "package that fails to import":
        (tmp_path / "ilupa" / "__init__.py").write_text("raise ImportError('not the real ilupa')")
    (tmp_path / "neighbour.py").write_text("VALUE = 41\n")
    with kernel_in(tmp_path) as client:
        reply, _ = run_cell(client, "answer = 1 + 1\nanswer")
        assert reply["status"] == "ok"
        cell = (
            "%%py\nimport ilupa, neighbour, os\nilupa.__version__, neighbour.VALUE + 1, os.getcwd()"
        )
        reply, messages = run_cell(client, cell)
        assert reply["status"] == "ok", reply
        version, value, cwd = eval(result_of(messages))
        assert version == __import__("ilupa").__version__
        assert value == 42  # the notebook's own folder is importable, as in a Python kernel
        assert Path(cwd) == tmp_path


def test_kernel_json_argv_does_not_import_from_the_working_directory(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "ilupa.kernel", "install", "--prefix", str(tmp_path)], check=True
    )
    argv = json.loads((tmp_path / "share/jupyter/kernels/ilupa/kernel.json").read_text())["argv"]
    assert argv[0] == sys.executable and "-m" not in argv


@pytest.mark.parametrize(
    ("runtime", "expected"),
    [
        ("luajit21", {"https://luajit.org/luajit.html", "https://www.lua.org/manual/5.1/"}),
        ("lua51", {"https://www.lua.org/manual/5.1/"}),
        ("lua54", {"https://www.lua.org/manual/5.4/"}),
    ],
)
def test_kernel_info_links_the_live_runtime_and_offers_the_lua_debugger(
    tmp_path: Path, runtime: str, expected: set[str]
) -> None:
    with kernel_in(tmp_path, ILUPA_RUNTIME=runtime) as client:
        info = client.kernel_info(reply=True, timeout=30)["content"]
        assert info["supported_features"].count("debugger") == 1  # ilupa's, for Lua
        urls = {link["url"] for link in info["help_links"]}
        assert expected <= urls
        assert all("manual/5.4" not in url for url in urls) or runtime == "lua54"
        assert info["language_info"]["name"] == "lua"


def test_kernel_info_follows_a_runtime_change(tmp_path: Path) -> None:
    with kernel_in(tmp_path, ILUPA_RUNTIME="luajit21") as client:
        before = client.kernel_info(reply=True, timeout=30)["content"]["help_links"]
        assert any("luajit.org" in link["url"] for link in before)
        reply, _ = run_cell(client, "%lua_reset lua53")
        assert reply["status"] == "ok"
        after = client.kernel_info(reply=True, timeout=30)["content"]["help_links"]
        assert [link["url"] for link in after] == ["https://www.lua.org/manual/5.3/"]
