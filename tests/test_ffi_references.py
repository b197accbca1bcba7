"""References read through the C API on LuaJIT keep today's semantics and lifetimes.

Every test runs on every runtime (the `session` fixture): on LuaJIT the FFI
path is live, elsewhere the Python-side one, and both must agree.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import time
import weakref

import pytest
from IPython.core.interactiveshell import InteractiveShell

from ilupa.errors import LuaRuntimeError
from ilupa.session import LuaSession

FFI_RUNTIMES = ("luajit20", "luajit21")


class Held(dict):
    """A dict that can be weakly referenced (plain dicts cannot)."""


def test_the_live_path_is_named(session: LuaSession) -> None:
    expected = "C API via FFI" if session.runtime_name in FFI_RUNTIMES else "Python-side"
    assert session.proxy.references_path.startswith(expected)


def test_version_output_says_which_path_is_live(runtime_shell: InteractiveShell, capsys) -> None:
    runtime_shell.run_line_magic("lua", "--version")
    out = capsys.readouterr().out
    assert "references: " in out
    runtime = runtime_shell.run_line_magic("lua", "jit and jit.version or _VERSION")
    assert ("C API via FFI" in out) == str(runtime).startswith("LuaJIT")


def test_nested_containers_read_with_python_indexing(session: LuaSession) -> None:
    session.namespace["recs"] = [{"id": 7, "name": "ann", "score": 0.5, "tags": ["a", None, 3]}]
    code = """
    local r = py.recs[0]
    return r.id, r.name:sub(1, 1), r.score, #r.tags, r.tags[0], r.tags[1], r.tags[2],
      r.tags[-1], r.tags[3], r.nothing, #py.recs, py.recs[1], r.flag
    """
    assert session.run(code, "read") == (7, "a", 0.5, 3, "a", None, 3, 3, None, None, 1, None, None)


def test_type_of_a_nested_reference_is_documented_per_runtime(session: LuaSession) -> None:
    session.namespace["d"] = {"inner": [1]}
    kinds = session.run("return type(py.d), type(py.d.inner)", "type")
    nested = "cdata" if session.runtime_name in FFI_RUNTIMES else "userdata"
    assert kinds == ("userdata", nested)


def test_identity_survives_every_way_back_to_python(session: LuaSession) -> None:
    inner = {"k": 1}
    outer = {"inner": inner, "items": [inner]}
    session.namespace.update(outer=outer, same=lambda a, b: a is b)
    code = """
    local r = py.outer.inner
    py.kept = r
    py.outer.again = r
    return r, py.same(r, py.outer.items[0]), rawequal(r, py.outer.items[0]),
      ilupa.topython({r})[0], r == py.outer.inner
    """
    value, same, rawsame, copied, equal = session.run(code, "identity")
    assert value is inner and same is True and rawsame is True and equal is True
    assert copied is inner
    assert session.namespace["kept"] is inner and outer["again"] is inner


def test_writes_set_items_and_nil_removes_a_key(session: LuaSession) -> None:
    d = {"a": 1, "l": [0, 1, 2]}
    session.namespace["d"] = d
    session.run(
        "py.d.b = 'x'; py.d.c = 2.5; py.d.t = true; py.d.a = nil;"
        " py.d.l[0] = py.d; py.d.l[-1] = 'last'; py.d[3] = 4",
        "write",
    )
    assert d == {"b": "x", "c": 2.5, "t": True, "l": [d, 1, "last"], 3: 4}
    assert type(d["c"]) is float and type(d[3]) is int


def test_python_errors_stay_catchable_lua_errors(session: LuaSession) -> None:
    session.namespace["d"] = {"l": [1], "t": (1, 2)}
    code = """
    local ok1 = pcall(function() py.d.l[5] = 1 end)
    local ok2 = pcall(function() py.d.t[0] = 1 end)
    local ok3 = pcall(function() return py.d.l + 1 end)
    return ok1, ok2, ok3, py.d.l[0]
    """
    assert session.run(code, "errors") == (False, False, False, 1)
    with pytest.raises(IndexError):
        session.run("py.d.l[5] = 1", "raise")
    with pytest.raises(LuaRuntimeError):
        session.run("return py.d.l.nothing()", "call nil")


def test_an_item_lua_holds_outlives_its_container(session: LuaSession) -> None:
    held = Held(name="kept")
    alive = weakref.ref(held)
    session.namespace["recs"] = [held, {"x": 1}]
    session.run("r = py.recs[0]; tags = py.recs", "hold")
    session.namespace["recs"].clear()
    del session.namespace["recs"], held
    gc.collect()
    assert alive() is not None
    assert session.run("return r.name, #tags", "use") == ("kept", 0)


def test_a_dropped_item_is_freed_by_collectgarbage(session: LuaSession) -> None:
    held = Held(name="kept")
    alive = weakref.ref(held)
    session.namespace["recs"] = [held]
    session.run("r = py.recs[0]", "hold")
    session.namespace["recs"].clear()
    del held
    session.run("r = nil collectgarbage() collectgarbage()", "drop")
    gc.collect()
    assert alive() is None


def test_iterating_a_list_that_shrinks_stops_at_its_new_end(session: LuaSession) -> None:
    items = [{"i": i} for i in range(10)]
    session.namespace.update(items=items, shrink=lambda: items.__delitem__(slice(3, None)))
    code = """
    local seen = {}
    for i, v in ipairs(py.items) do
      seen[#seen + 1] = v.i
      if i == 2 then py.shrink() end
    end
    return table.concat(seen, ',')
    """
    assert session.run(code, "shrink") == ("0,1,2",)


def test_a_dict_another_thread_mutates_reads_consistently(session: LuaSession) -> None:
    shared: dict[str, object] = {"a": 0, "b": [1, 2]}
    stop = threading.Event()

    rounds = [0]

    def mutate() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            shared["a"] = n
            shared["b"] = [n] * (n % 5)
            shared.pop("c", None) if n % 2 else shared.update(c={"n": n})
            for k in range(n % 50):
                shared[f"k{k}"] = k
            rounds[0] = n
            # Lets Lua take the GIL between rounds: a thread that never waits makes each
            # of Lua's GIL takes wait for CPython's switch interval (5 ms), as for lupa.
            time.sleep(0)

    session.namespace["shared"] = shared
    worker = threading.Thread(target=mutate)
    worker.start()
    try:
        code = """
        local bad = 0
        for i = 1, 20000 do
          local a, b, c = py.shared.a, py.shared.b, py.shared.c
          if type(a) ~= "number" or #b > 4 or (c ~= nil and type(c.n) ~= "number") then
            bad = bad + 1
          end
        end
        return bad
        """
        before = rounds[0]
        assert session.run(code, "threads") == (0,)
        assert rounds[0] > before  # the dict changed while Lua read it
    finally:
        stop.set()
        worker.join()


@pytest.mark.parametrize("runtime", FFI_RUNTIMES)
def test_a_del_that_calls_lua_runs_when_lua_drops_the_object(runtime: str) -> None:
    """Freed in Python (the graveyard), never inside an FFI call, so `__del__` may call Lua.

    On PUC Lua the object is freed inside the release collection, where
    Python objects refuse Lua calls (docs/proxy.md): not asserted there.
    """
    session = LuaSession(runtime, {})
    calls: list[object] = []

    (note,) = session.run("return function(x) return x .. '!' end", "note")

    class CallsLua(dict):
        def __del__(self) -> None:
            calls.append(note("freed"))

    session.namespace["box"] = [CallsLua(v=1)]
    session.run("r = py.box[0]; local _ = r.v", "hold")
    session.namespace["box"].clear()
    session.run("r = nil collectgarbage() collectgarbage()", "drop")
    gc.collect()
    assert calls == ["freed!"]


@pytest.mark.parametrize("runtime", FFI_RUNTIMES)
def test_reset_releases_what_boxes_hold(runtime: str) -> None:
    from tests.conftest import discard_shell, make_shell

    shell = make_shell()
    try:
        shell.run_line_magic("lua_reset", runtime)
        held = Held(name="kept")
        alive = weakref.ref(held)
        shell.user_ns["recs"] = [held]
        shell.run_cell_magic("lua", "-n", "r = py.recs[0]")
        shell.user_ns["recs"].clear()
        del held
        gc.collect()
        assert alive() is not None
        shell.run_line_magic("lua_reset", runtime)
        gc.collect()
        assert alive() is None
    finally:
        shell.run_line_magic("unload_ext", "ilupa")
        discard_shell()


EXIT_WITH_LIVE_BOXES = """
import sys
from ilupa.session import LuaSession

class Loud(dict):
    def __del__(self):
        sys.stdout.write("released\\n")

session = LuaSession(sys.argv[1], {"recs": [Loud(a=1), {"b": [1, 2]}]})
session.run("kept = {py.recs[0], py.recs[1].b} return #kept", "hold")
session.namespace["recs"].clear()
print("exiting")
"""


@pytest.mark.parametrize("runtime", FFI_RUNTIMES)
def test_the_interpreter_exits_cleanly_with_live_boxes(runtime: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", EXIT_WITH_LIVE_BOXES, runtime],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["exiting", "released"]


def test_a_copy_through_the_c_api_equals_the_python_side_copy(session: LuaSession) -> None:
    shared = {"s": [1, 2]}
    data = {
        "recs": [{"id": i, "name": f"n{i}", "score": i / 3, "tags": ["x"] * i} for i in range(5)],
        "a": shared,
        "b": shared,
        "holes": [1, None, 3],
        "t": (True, False, "é"),
        7: "seven",
        2.5: 1,
    }
    data["me"] = data
    session.namespace["data"] = data
    (fast,) = session.run("return ilupa.copy(py.data)", "copy")
    python_side = session.proxy._copy_to_lua(data)  # the path every runtime had
    assert session.lua.eval("function(a, b) return rawequal(a.a, a.b) and rawequal(a.me, a) end")(
        fast, None
    )
    assert session.proxy.copy_to_python(fast["recs"]) == session.proxy.copy_to_python(
        python_side["recs"]
    )
    for key in ("holes", "t"):
        assert dict(fast[key].items()) == dict(python_side[key].items())
    assert (fast[7], fast[2.5]) == (python_side[7], python_side[2.5]) == ("seven", 1)


@pytest.mark.parametrize("runtime", FFI_RUNTIMES)
def test_a_gc_metamethod_cannot_push_a_box_object_during_a_release(runtime: str) -> None:
    """lupa must not push a Python object inside a release's collection (docs/proxy.md)."""
    session = LuaSession(runtime, {"data": {"inner": {"k": 1}}})
    code = """
    local d = py.data.inner
    local u = newproxy(true)
    getmetatable(u).__gc = function()
      local ok, err = pcall(function() return tostring(d) end)
      seen = tostring(ok) .. ': ' .. tostring(err)
    end
    u = nil
    collectgarbage()
    return seen, d.k, tostring(d)
    """
    seen, k, text = session.run(code, "gc")
    assert seen.startswith("false: ") and "frees Python references" in seen
    assert (k, text) == (1, "{'k': 1}")


@pytest.mark.parametrize("runtime", FFI_RUNTIMES)
def test_no_python_runs_while_the_ffi_side_holds_the_gil(runtime: str) -> None:
    """The hook's poll (Python) never runs inside a GIL-held step: Python code there
    could hand the GIL to another thread, which could free what the step holds only
    a borrowed pointer to (this made the thread test above read freed lists)."""
    session = LuaSession(runtime, {})
    step = session.interrupts.gil_step
    polled_while_held: list[bool] = []
    session.interrupts.on_poll = lambda: polled_while_held.append(bool(step.held))
    session.namespace["d"] = {"a": 1, "l": [1, 2, 3], "inner": {"x": 2.5}}
    code = """
    jit.off()  -- interpreted: the count hook fires between any two instructions
    local s = 0
    for i = 1, 50000 do s = s + py.d.a + #py.d.l + py.d.inner.x end
    jit.on()
    return s
    """
    assert session.run(code, "polls") == (50000 * 6.5,)
    assert len(polled_while_held) > 10
    assert not any(polled_while_held)
