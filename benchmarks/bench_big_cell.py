"""A 10 MB cell of short lines: ilupa's reading of the cell against plain lupa running it.

ilupa reads a cell before Lua compiles it: its trailing value (ilupa/source/cells.py), its
`;`, whether it ends in `io.write(...)`, and on LuaJIT the interrupt checks in its
loops (ilupa/source/loop_checks.py). Each read lexed the whole cell in Python, token by token:
a 10 MB cell of `x = 1` lines took 52 s on luajit21, against 0.23 s for
`lua.execute` in plain lupa. The end of a cell is now read from a tail found by
the regex engine (`quiet_line_start`), and a cell with no `do`, `repeat`, `goto`
or `return` in its code needs no loop rewrite (`may_repeat`). This times
`LuaMagics.run_lua` (everything ilupa does for a cell, IPython's own input
transformation left out) and lupa's `execute` of the same text, best of three,
for a few shapes of line; the bar is 5x. Prints a table and writes
benchmarks/results/big_cell.json.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from ilupa.runtimes import available_runtimes, load_runtime_module

SIZE = 10_000_000
ROUNDS = 3
RESULTS = Path(__file__).parent / "results" / "big_cell.json"
SETUP = "function f(x) return x end"
LINES = {
    "x = 1": "x = 1",
    "s = 'a string'": "s = 'a string'",
    "f(x) (a call: the cell has a value)": "f(x)",
    "-- a comment": "x = 1 -- a comment",
}


def best_of(run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.run_cell("%load_ext ilupa")
    magics = shell.magics_manager.registry["LuaMagics"]
    rows = []
    for runtime in [r for r in ("luajit21", "lua54") if r in available_runtimes()]:
        shell.run_cell(f"%lua_reset {runtime}")
        magics.run_lua(SETUP)
        plain = load_runtime_module(runtime).LuaRuntime()
        plain.execute(SETUP)
        for label, line in LINES.items():
            code = (line + "\n") * (SIZE // (len(line) + 1))
            lupa_s = best_of(lambda code=code, plain=plain: plain.execute(code))
            ilupa_s = best_of(lambda code=code: magics.run_lua(code, first_line=2))
            rows.append({"runtime": runtime, "line": label, "lupa_s": lupa_s, "ilupa_s": ilupa_s})
    print(f"{'runtime':<9} {'line':<38} {'lupa (s)':>9} {'ilupa (s)':>10} {'ratio':>6}")
    for row in rows:
        ratio = row["ilupa_s"] / row["lupa_s"]
        print(
            f"{row['runtime']:<9} {row['line']:<38} {row['lupa_s']:>9.3f} "
            f"{row['ilupa_s']:>10.3f} {ratio:>5.1f}x"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"size": SIZE, "rounds": ROUNDS, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
