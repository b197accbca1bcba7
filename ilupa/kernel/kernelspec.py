"""Registering the `ilupa` kernelspec so Jupyter frontends can start the kernel by name."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager

from ilupa.runtimes import RUNTIME_ENV_VAR, default_runtime, load_runtime_module

KERNEL_NAME = "ilupa"
LOGO_DIR = Path(__file__).resolve().parent / "logo"
LOGO_FILES = ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg")
# `python -m ilupa.kernel` would import `ilupa` from the working directory first (Python puts
# it at the front of sys.path), so a kernel started next to a folder named `ilupa` (a checkout,
# a data folder) would load that folder. The launcher drops that entry, imports ilupa from the
# installed package, and IPython puts the working directory back (after the standard library)
# for the notebook's own imports, as it does in a Python kernel.
LAUNCHER = (
    "import sys; sys.path[:] = [p for p in sys.path if p]; "
    "from ilupa.kernel.__main__ import main; main(sys.argv[1:])"
)


def kernel_json(runtime: str | None) -> dict[str, object]:
    """The kernel.json: this interpreter's absolute path, and the runtime when one is pinned."""
    shown = runtime or default_runtime()
    spec: dict[str, object] = {
        "argv": [sys.executable, "-c", LAUNCHER, "-f", "{connection_file}"],
        "display_name": f"Lua ({shown}, ilupa)",
        "language": "lua",
        "interrupt_mode": "signal",
        "metadata": {"debugger": True},
    }
    if runtime:
        spec["env"] = {RUNTIME_ENV_VAR: runtime}
    return spec


def install(*, user: bool = False, prefix: str | None = None, runtime: str | None = None) -> str:
    """Write kernel.json and the logo; return the folder Jupyter will find them in."""
    if runtime:
        load_runtime_module(runtime)
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "kernel.json").write_text(json.dumps(kernel_json(runtime), indent=2))
        for name in LOGO_FILES:
            shutil.copy(LOGO_DIR / name, folder)
        return KernelSpecManager().install_kernel_spec(
            folder, KERNEL_NAME, user=user, prefix=prefix
        )


def main(argv: list[str]) -> None:
    """Command line of `python -m ilupa.kernel install`."""
    parser = argparse.ArgumentParser(prog="python -m ilupa.kernel install")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for this user")
    where.add_argument("--sys-prefix", action="store_true", help="install into sys.prefix")
    where.add_argument("--prefix", help="install under this prefix (share/jupyter/kernels)")
    parser.add_argument("--runtime", help="pin the Lua runtime (sets ILUPA_RUNTIME)")
    args = parser.parse_args(argv)
    prefix = sys.prefix if args.sys_prefix else args.prefix
    folder = install(user=args.user, prefix=prefix, runtime=args.runtime)
    print(f"Installed kernelspec {KERNEL_NAME} in {folder}")
