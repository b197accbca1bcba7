"""Tab completion after a long token: time against the token's length (it must be linear).

Completion reads the text before the cursor to find what is being typed (a name,
`a.b.` + prefix, `require "` + prefix). It used regular expressions anchored at the
end, searched over the text: every start was tried, and in a run of name characters
(a long identifier, or a string or comment of letters, on any earlier line) each
try read to the run's end, so Tab took 1.1 s after 5 KB, 17 s after 20 KB and 93 s
after 50 KB, the kernel answering nothing meanwhile. It now scans backwards from
the cursor. This times `complete_lua` (what the ilupa kernel's complete_request
runs) for each shape and size, best of several rounds. Prints a table and writes
benchmarks/results/completion.json.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ilupa.editor.completion import complete_lua
from ilupa.session import LuaSession

SIZES_KB = (5, 10, 20, 50)
ROUNDS = 3
RESULTS = Path(__file__).parent / "results" / "completion.json"
SHAPES = {
    "identifier": lambda n: "x = " + "a" * n,
    "string": lambda n: 's = "' + "a" * n + '"\npri',
    "comment": lambda n: "-- " + "b" * n + "\nstring.fo",
}


def seconds(session: LuaSession, code: str) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        complete_lua(session, code)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    session = LuaSession("lua54", {})
    rows = [
        {"kb": kb, **{shape: seconds(session, make(kb * 1000)) for shape, make in SHAPES.items()}}
        for kb in SIZES_KB
    ]
    print(f"{'token':>6} " + " ".join(f"{shape + ' (ms)':>16}" for shape in SHAPES))
    for row in rows:
        print(f"{row['kb']:>4}KB " + " ".join(f"{row[shape] * 1e3:>16.2f}" for shape in SHAPES))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rounds": ROUNDS, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
