"""The seed's failure, for real, on LuaJIT 2.0: past the 1 GiB heap, warned first, then live.

LuaJIT 2.0 cannot take a lupa budget; its own heap ceiling stops the cell.
This builds a 134M-number table (the shape that hit the ceiling in the seed's
Torch days) and needs about 1.5 GB of RAM and a few seconds.
"""

from __future__ import annotations

import pytest

from ilupa import LuaMemoryError, LuaSession
from ilupa.runtimes import available_runtimes

pytestmark = pytest.mark.skipif(
    "luajit20" not in available_runtimes(), reason="lupa has no luajit20 build here"
)


def test_luajit20_past_its_heap_warns_then_fails_then_keeps_working() -> None:
    events: list[str] = []
    session = LuaSession("luajit20", {})
    session.memory.notify = lambda notice: events.append(f"{notice.level}: {notice.text}")
    session.run("keep = {1, 2, 3}", "before")
    with pytest.raises(LuaMemoryError) as failure:
        session.run("big = {}\nfor i = 1, 1e9 do big[i] = i end", "In[2]")
    events.append("error")
    assert "luajit20 heap ceiling" in events[0] and "still running" in events[0]
    assert events[-1] == "error"
    assert "luajit20's fixed heap ceiling of 1.0 GiB" in str(failure.value)
    assert session.run("return #keep", "after") == (3,)
    assert session.run("local t = {} for i = 1, 1e6 do t[i] = i end return #t", "more") == (
        1_000_000,
    )
