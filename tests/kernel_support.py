"""The `ilupa` kernelspec installed into a temporary prefix that Jupyter searches.

Imported by the kernel tests, so they work from a clean clone with nothing
registered on the machine.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from ilupa.kernel.kernelspec import install

PREFIX = Path(tempfile.mkdtemp(prefix="ilupa-kernelspec-"))
atexit.register(shutil.rmtree, PREFIX, ignore_errors=True)
SPEC_DIR = Path(install(prefix=str(PREFIX)))
os.environ["JUPYTER_PATH"] = os.pathsep.join(
    [str(PREFIX / "share" / "jupyter"), *filter(None, [os.environ.get("JUPYTER_PATH")])]
)
