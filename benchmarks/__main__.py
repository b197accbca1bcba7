"""Run every benchmarks/bench_*.py, each in its own process, then gather their JSON.

Each benchmark prints its own table and writes benchmarks/results/<name>.json;
this collects them into benchmarks/results/all.json. Usage: `make bench` or
`python -m benchmarks [NAME ...]` (e.g. `python -m benchmarks proxy`,
`python -m benchmarks refs`; ILUPA_BENCH_QUICK=1 runs the refs benchmark's
quick mode; `python -m benchmarks dask` needs the `ilupa[dask]` extra, which the
test extra includes).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def main(selected: list[str]) -> int:
    RESULTS.mkdir(exist_ok=True)
    scripts = sorted(HERE.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in selected]
    failures = 0
    for script in scripts:
        print(f"\n== {script.stem} ==", flush=True)
        module = f"benchmarks.{script.stem}"
        failures += subprocess.call([sys.executable, "-m", module], cwd=HERE.parent) != 0
    gathered = {
        path.stem: json.loads(path.read_text())
        for path in sorted(RESULTS.glob("*.json"))
        if path.name != "all.json"
    }
    (RESULTS / "all.json").write_text(json.dumps(gathered, indent=2))
    print(f"\nwrote {RESULTS / 'all.json'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
