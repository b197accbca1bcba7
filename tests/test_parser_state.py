"""Questions to Lua's parser run in a state of their own, never in the user's.

A compile in the user's state can start a collection step, and with it a
user's `__gc`, outside any cell run with the GIL held: a finalizer that loops
there is past the stop button. Consoles ask whether a cell is complete on
every line, and LuaJIT's loop checks compile pieces of every cell.
"""

from __future__ import annotations

import select
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilupa.runtimes import available_runtimes, load_runtime_module
from ilupa.source.parsing import LuaParser

ANSWER_SECONDS = 120  # a few seconds unloaded; a hang never answers
RUNTIMES = [r for r in ("lua54", "lua51", "luajit21") if r in available_runtimes()]

ASKS_WITH_A_LOOPING_FINALIZER_DUE = """
import sys
from ilupa import LuaSession
from ilupa.source.syntax import check_complete
session = LuaSession(sys.argv[1], {})
garbage = (
    "local x = newproxy(true) getmetatable(x).__gc = function() while true do end end"
    if sys.argv[1].startswith("luajit")
    else "local x = setmetatable({}, {__gc = function() while true do end end})"
)
session.run(garbage + " kept = 'v'", "In[1]")
big = "local t = {" + ",".join(["1"] * 20_000) + "}\\n"
for _ in range(200):  # plenty of compiling: the finalizer is due many times over
    assert check_complete(session, big + "if x then")[0] == "incomplete"
    assert session.compiles(big)
print("answered", flush=True)
"""


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_syntax_questions_never_run_a_user_s_finalizer(runtime: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", ASKS_WITH_A_LOOPING_FINALIZER_DUE, runtime],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # the state's own close runs the finalizer at exit (lua_close): only the answers count
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], ANSWER_SECONDS)
        line = process.stdout.readline() if ready else "(no answer)"
    finally:
        process.kill()
        process.wait()
    assert line.strip() == "answered", process.stderr.read() if process.stderr else ""


SNIPPETS = st.lists(
    st.sampled_from(["local", "x", "=", "1", "(", ")", "end", "do", "if", "then", "'s'", "{", "}"]),
    max_size=8,
).map(" ".join)


@pytest.mark.parametrize("runtime", RUNTIMES)
@settings(max_examples=60, deadline=None)
@given(code=SNIPPETS)
def test_the_parser_state_says_what_the_user_s_state_says(runtime: str, code: str) -> None:
    module = load_runtime_module(runtime)
    own = module.LuaRuntime()
    try:
        own.compile(code)
        expected = None
    except module.LuaSyntaxError as error:
        expected = str(error)
    assert LuaParser(module).error_of(code) == expected
