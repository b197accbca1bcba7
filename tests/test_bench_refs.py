"""`python -m benchmarks.bench_refs --quick` runs on every runtime and writes its JSON table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ilupa.runtimes import available_runtimes

ROOT = Path(__file__).resolve().parent.parent
MEASURES_PER_RUNTIME = {
    "seed loop, ilupa / Python",
    "seed loop, ilupa / plain lupa",
    "float list loop, ilupa / Python",
    "copy speedup, table_from(recursive) / -c",
    "per access, ilupa, ns: dict field d.a",
    "per access, plain lupa, ns: #l",
}


@pytest.mark.slow
def test_quick_refs_benchmark_writes_every_runtime_row(tmp_path: Path) -> None:
    output = tmp_path / "refs.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_refs", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    written = json.loads(output.read_text())
    assert written["quick"] is True
    rows = written["rows"]
    for runtime in available_runtimes():
        measures = {r["measure"] for r in rows if r["runtime"] == runtime}
        assert measures >= MEASURES_PER_RUNTIME, runtime
    assert all(r["value"] > 0 for r in rows if "/" in r["measure"])
    assert "seed loop, ilupa / plain lupa" in done.stdout  # the printed table
