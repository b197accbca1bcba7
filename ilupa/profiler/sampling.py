"""Sampling a cell run: the profiler's Lua half started before the run, stopped after it.

The Lua half is loaded on first use only, so a session that never profiles
pays nothing: no hook, no `jit.profile` timer, no `jit.attach` callback.
Start and stop are called through the session's cell run (ilupa/cell_run.py),
the one way into Lua, so they run under the same interrupt and error handling
as the cell between them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ilupa.profiler.report import Profile, profile_from

# LuaJIT's jit.profile interval; PUC Lua's count hook: VM instructions between samples
# (each sample is weighted by the CPU time since the last, so the count sets only the
# resolution: 2000 keeps the seed loop's overhead within a few percent).
INTERVAL_MS = 1
COUNT = 2000


class Sampler:
    """The profiler of one Lua session: `with sampler.sampling() as got: run(...)`."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self._lua_half: Any = None

    @property
    def jit(self) -> bool:
        """True on LuaJIT (jit.profile and trace aborts), False on PUC Lua (a count hook)."""
        return self._session.runtime_name.startswith("luajit")

    def _loaded(self) -> Any:
        if self._lua_half is None:
            self._lua_half = self._session.layer.load(
                "profiler", jit=self.jit, interval_ms=INTERVAL_MS, count=COUNT
            )
        return self._lua_half

    @contextlib.contextmanager
    def sampling(self, exact_lines: bool = False) -> Iterator[list[Profile]]:
        """Sample the Lua run inside the block; the list holds the Profile when it ends.

        On LuaJIT samples are taken at function boundaries unless `exact_lines`:
        line-level sampling compiles a check into every line of a trace (the seed
        loop ran ~50 % slower), function-level costs nothing measurable. PUC Lua
        samples at any instruction either way.

        The profile is taken also when the run fails or is interrupted (a profile of
        a loop that was stopped says where it spent its time until then).
        """
        lua_half = self._loaded()
        cell_run = self._session.cell_run
        got: list[Profile] = []
        cell_run.call_values(lua_half.start, ("l" if exact_lines else "f",))
        try:
            yield got
        finally:
            try:
                raw = cell_run.call_values(lua_half.stop, ())[0]
            except Exception:  # an interrupt still in force: no profile, the run's error stands
                raw = None
            if raw is not None:
                got.append(profile_from(raw, self._session.sources, self._session.version))
