"""References read from Lua that runs in a Python thread or in coroutines.

On LuaJIT each access takes the GIL with the thread state of the OS thread it
runs on (ffi_references.lua, docs/proxy.md), so these are the cases where a
wrong thread state would show: a crash, a hang, or wrong values. Every test
runs on every runtime (the `session` fixture), and the Python-side path must
give the same answers.
"""

from __future__ import annotations

import threading
import time

from ilupa.session import LuaSession

RECORDS = [{"id": i, "name": f"n{i}", "tags": ["t"] * (i % 3)} for i in range(2000)]
EXPECTED_SUM = sum(r["id"] + len(r["tags"]) for r in RECORDS)

SUM_LOOP = """
local recs, s = py.recs, 0
for i = 0, #recs - 1 do
  local r = recs[i]
  s = s + r.id + #r.tags
end
return s
"""


def test_lua_run_in_a_python_thread_reads_python_data(session: LuaSession) -> None:
    session.namespace["recs"] = RECORDS
    results: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(20):
                results.append(session.run(SUM_LOOP, "thread"))
        except BaseException as error:  # handed to the main thread's assertion
            errors.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    busy = 0
    while worker.is_alive():  # Python runs on the main thread meanwhile
        busy += sum(range(100))
        time.sleep(0)  # a thread that never waits makes each GIL take wait 5 ms
    worker.join()
    assert errors == []
    assert results == [(EXPECTED_SUM,)] * 20
    # and then again on the main thread, on the same state
    assert session.run(SUM_LOOP, "main") == (EXPECTED_SUM,)


def test_two_python_threads_take_turns_reading_through_one_state(session: LuaSession) -> None:
    session.namespace["recs"] = RECORDS
    results: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(10):
                results.append(session.run(SUM_LOOP, "threads"))
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    busy = 0
    while any(worker.is_alive() for worker in workers):  # and Python on the main thread
        busy += sum(range(100))
        time.sleep(0)  # a thread that never waits makes each GIL take wait 5 ms
    for worker in workers:
        worker.join()
    assert errors == []
    assert results == [(EXPECTED_SUM,)] * 20


def test_coroutines_read_python_data_across_yields(session: LuaSession) -> None:
    session.namespace["recs"] = RECORDS
    code = """
    local recs = py.recs
    local function walker(step)
      return coroutine.wrap(function()
        for i = step, #recs - 1, 2 do
          local r = recs[i]
          coroutine.yield(r.id + #r.tags, r)
        end
      end)
    end
    local even, odd = walker(0), walker(1)
    local s, kept = 0, {}
    while true do
      local a, ra = even()
      local b, rb = odd()
      if a == nil then break end
      s = s + a + (b or 0)
      kept[#kept + 1] = ra
    end
    -- boxes kept across yields still read their own records
    return s, kept[1].name, kept[#kept].id
    """
    assert session.run(code, "coroutines") == (EXPECTED_SUM, "n0", 1998)


def test_a_python_thread_resumes_a_coroutine_the_main_thread_started(
    session: LuaSession,
) -> None:
    session.namespace["recs"] = RECORDS
    session.run(
        """
        walk = coroutine.wrap(function()
          local recs = py.recs
          for i = 0, #recs - 1 do coroutine.yield(recs[i].id + #recs[i].tags) end
        end)
        """,
        "start",
    )
    first = session.run("return walk()", "main")
    results: list[object] = []

    def resume() -> None:
        results.append(session.run("return walk()", "thread"))

    worker = threading.Thread(target=resume)
    worker.start()
    worker.join()
    assert (first, results) == ((0,), [(1 + 1,)])
