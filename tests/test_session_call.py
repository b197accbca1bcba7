"""`LuaSession.call`: a Lua function called from Python means what plain lupa's call means.

Dask tasks call Lua functions through it (ilupa.dask); it runs them under the
same interrupt, memory and error handling as a cell.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from ilupa import LuaMemoryError, LuaRuntimeError, LuaSession
from ilupa.runtimes import load_runtime_module
from tests.conftest import RUNTIMES

tblib_pickling = pytest.importorskip("tblib.pickling_support")

FUNCTIONS = [
    ("function(...) return select('#', ...), ... end", (1, None, "a", None)),
    ("function(a, b) return a .. b, #a end", ("lu", "a")),
    ("function(x) return x == nil, type(x) end", (None,)),
    ("function(t, k) return t[k] end", ({"k": 5}, "k")),
    ("function() end", ()),
    ("function(x, y) return x * y, x / y, x - y end", (6, 4)),
]


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize(("source", "args"), FUNCTIONS)
def test_call_returns_what_plain_lupa_returns(runtime, source, args):
    plain = load_runtime_module(runtime).LuaRuntime(unpack_returned_tuples=True)
    expected = plain.eval(source)(*args)
    expected = () if expected is None else expected if isinstance(expected, tuple) else (expected,)
    session = LuaSession(runtime, {})
    (function,) = session.run(f"return {source}", "In[1]")
    assert session.call(function, *args) == expected


def test_call_passes_arrays_as_views_and_returns_views_as_arrays(session):
    (fill,) = session.run("return function(a) a[0] = 7 return a end", "In[1]")
    array = np.zeros(3)
    (back,) = session.call(fill, array)
    assert back is array
    assert array.tolist() == [7.0, 0.0, 0.0]


def test_call_error_names_the_cell_and_line_where_the_function_was_written(session):
    session.run("function fails(x)\n  local y = x + 1\n  error('bad ' .. y)\nend", "In[3]")
    with pytest.raises(LuaRuntimeError) as caught:
        session.call(session.globals.fails, 1)
    error = caught.value
    assert error.message == "bad 2"
    assert (error.location.chunk, error.location.line) == ("In[3]", 3)
    assert error.location.text.strip() == "error('bad ' .. y)"
    assert session.call(session.globals.type, 1) == ("number",)  # the session goes on


@pytest.mark.parametrize("runtime", [r for r in RUNTIMES if r != "luajit20"])
def test_memory_error_in_a_call_leaves_the_session_usable(runtime):
    session = LuaSession(runtime, {}, memory_limit=32 << 20)
    (hog,) = session.run(
        "return function() local t = {} for i = 1, 1e8 do t[i] = i end end", "In[1]"
    )
    with pytest.raises(LuaMemoryError):
        session.call(hog)
    (count,) = session.run(
        "return function(n) local t = {} for i = 1, n do t[i] = i end return #t end", "In[2]"
    )
    assert session.call(count, 1000) == (1000,)


@pytest.mark.parametrize("error_class", [LuaRuntimeError, LuaMemoryError])
def test_lua_errors_pickle_with_their_fields_and_notes(error_class):
    error = error_class("boom", None, "stack traceback:\n\tIn[1]:2: in main chunk")
    error.add_note("on Dask worker tcp://127.0.0.1:1")
    for dumps in (pickle.dumps, _tblib_dumps):
        copy = pickle.loads(dumps(error))
        assert type(copy) is error_class
        assert (copy.message, copy.lua_traceback) == (error.message, error.lua_traceback)
        assert copy.__notes__ == error.__notes__


def _tblib_dumps(error: BaseException) -> bytes:
    """What Dask does to send an exception back: tblib's picklers for its class."""
    tblib_pickling.install(error)
    return pickle.dumps(error)
