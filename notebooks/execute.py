"""Execute the tour into build/notebooks/ (the README's run command), in tour order.

The order is the numbered list in notebooks/README.md; a notebook in this folder
that the list does not name runs after the tour. Each notebook runs on the
kernel its metadata names; a cell that fails stops the run with nbclient's
error, as it would for a user running top to bottom.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
OUTPUT = HERE.parent / "build" / "notebooks"
LINK = re.compile(r"^\d+\. \[[^]]*\]\(([^)]+\.ipynb)\)", re.MULTILINE)


def tour_order(folder: Path = HERE) -> list[Path]:
    """The notebooks in `folder`: those its README lists, in that order, then the rest."""
    listed = [folder / name for name in LINK.findall((folder / "README.md").read_text())]
    others = sorted(set(folder.glob("*.ipynb")) - set(listed))
    return listed + others


def execute(path: Path, timeout: int = 600) -> nbformat.NotebookNode:
    """Run one notebook top to bottom, in its own folder, and return it with outputs."""
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=timeout, resources={"metadata": {"path": str(HERE)}}).execute()
    return notebook


def main() -> int:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for path in tour_order():
        print(f"executing {path.name} ...", flush=True)
        notebook = execute(path)
        target = OUTPUT / path.name
        nbformat.write(notebook, target)
        print(f"  wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
