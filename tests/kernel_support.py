"""The `ilupa` kernelspec installed into a temporary prefix that Jupyter searches.

Imported by the kernel tests, so they work from a clean clone with nothing
registered on the machine.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager

from ilupa.kernel.kernelspec import install

PREFIX = Path(tempfile.mkdtemp(prefix="ilupa-kernelspec-"))
atexit.register(shutil.rmtree, PREFIX, ignore_errors=True)
SPEC_DIR = Path(install(prefix=str(PREFIX)))
os.environ["JUPYTER_PATH"] = os.pathsep.join(
    [str(PREFIX / "share" / "jupyter"), *filter(None, [os.environ.get("JUPYTER_PATH")])]
)


def kernel_env(**variables: str) -> dict[str, str]:
    """The environment for a kernel the tests start: `variables`, plus this run's PYTHONPATH.

    jupyter_client starts a kernel with exactly the `env` it is given, so without this
    a test run from a git worktree (PYTHONPATH pointing at it) would start kernels that
    import the ilupa the venv has installed (another checkout), not the code under test.
    """
    path = os.environ.get("PYTHONPATH")
    return {**({"PYTHONPATH": path} if path else {}), **variables}


@contextmanager
def started_kernel(runtime: str, timeout: float) -> Iterator[tuple[KernelManager, Any]]:
    """A fresh ilupa kernel on `runtime` and its client, ready; shut down afterwards."""
    manager = KernelManager(kernel_name="ilupa")
    manager.start_kernel(env=kernel_env(ILUPA_RUNTIME=runtime))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=timeout)
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
