"""Run one file of a Lua test suite, in plain lupa or as a `%%lua` cell; print the outcome.

Used by tests/test_lua_test_suite.py, one fresh process per file and side, so
no file sees another's state. Both sides run the same text (the file with the
suite's `_port`/`_soft` switches put before its first line, a comment, so
that no line moves: some files check line numbers, and the same patches,
listed in `PATCHES`), under the same chunk name (`In[1]`: a notebook's first
cell), from the suite's folder. The cell is a Lua cell as the ilupa kernel
runs it (its line 1 is the chunk's line 1; a `%%lua` cell starts at line 2).
The last line printed is
`OUTCOME PASS` or `OUTCOME FAIL <Lua's message>`.

    python tests/lua_suite_runner.py plain|cell RUNTIME PATH [--as-is]

With `--as-is` the file runs without the switches (a suite that has none).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path

SWITCHES = "_port = true _soft = true _nomsg = true"
CHUNK = "In[1]"

# Checks that need a chunk named like a file (short_src without "[", tracebacks naming
# "db.lua"), made to name the chunk both sides run under. The same on both sides.
PATCHES: dict[str, list[tuple[str, str]]] = {
    "db.lua": [
        ('not string.find(b.short_src, "%["))', 'b.short_src == "In[1]")'),
        ('string.find(x.source, "^@.*db%.lua$")', 'x.source == "=In[1]"'),
        ('"db.lua"', '"In%[1%]"'),
    ],
    "errors.lua": [('"%w+%.lua:(%d+): assertion failed!$"', '"In%[1%]:(%d+): assertion failed!$"')],
    "locals.lua": [('"%w+%.%w+:%d+: YYY"', '"In%[1%]:%d+: YYY"')],
}


NOT_UTF8 = re.compile("[\udc80-\udcff]")


def source_of(path: Path, switches: str = SWITCHES) -> str:
    """The file's text as both sides run it.

    A notebook cell is text, so a byte that is not UTF-8 (strings.lua has Latin-1
    letters, all inside string literals) is written as its Lua escape, `\\243`.
    """
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    text = NOT_UTF8.sub(lambda m: f"\\{ord(m.group()) - 0xDC00}", text)
    if switches:
        text = switches + " " + text
    for old, new in PATCHES.get(path.name, []):
        if old not in text:
            raise SystemExit(f"OUTCOME FAIL harness: patch target {old!r} not in {path.name}")
        text = text.replace(old, new)
    return text


def run_plain(runtime: str, text: str) -> None:
    lua = importlib.import_module(f"lupa.{runtime}").LuaRuntime()
    lua.compile(text.encode("utf-8", "surrogateescape"), name="=" + CHUNK)()


def run_cell(runtime: str, text: str) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell(f"%load_ext ilupa\n%lua_reset {runtime}", store_history=False).raise_error()
    shell.execution_count = 2  # the chunk is named for the cell that counted before it: In[1]
    magics = shell.magics_manager.registry["LuaMagics"]
    magics.run_lua(text, display_value=False, first_line=1)


def main() -> None:
    side, runtime, path = sys.argv[1], sys.argv[2], Path(sys.argv[3]).resolve()
    text = source_of(path, "" if "--as-is" in sys.argv[4:] else SWITCHES)
    os.chdir(path.parent)
    try:
        (run_plain if side == "plain" else run_cell)(runtime, text)
    except BaseException as error:  # the outcome is the point, whatever it is
        # Lua's message: its first line (a cell's error goes on with the source line)
        message = (str(error).splitlines() or [""])[0][:500]
        # no exception class: lupa's LuaError is ilupa's LuaRuntimeError, the same failure
        print(f"OUTCOME FAIL {message}", flush=True)
        os._exit(0)
    print("OUTCOME PASS", flush=True)
    os._exit(0)  # skip interpreter teardown: some files leave odd state behind


if __name__ == "__main__":
    main()
