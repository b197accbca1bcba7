"""The watcher that warns while a Lua cell is still running.

lupa releases the GIL while Lua runs, so a Python thread can sample Lua's
memory counter (`get_memory_used()`, a plain read) every few milliseconds and
publish a warning the moment usage crosses the warning share. One thread per
process serves every watch (a Lua function called from Python, say as a
`sorted` key, is a run of its own: a thread per run would cost more than the
call); each sample runs in a copy of the run's context, so in ipykernel its
output belongs to that cell. On LuaJIT 2.0, which has no counter, the sample is Lua's heap at the
start of the cell plus the process's resident-memory growth since then: an
overestimate when Python allocates too, which is the safe side for a warning.
"""

from __future__ import annotations

import contextvars
import os
import threading
import time
from collections.abc import Callable
from types import TracebackType

POLL_SECONDS = 0.01


def resident_bytes() -> int | None:
    """This process's resident memory (Linux /proc), None elsewhere."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def resident_growth_reader(start_bytes: int) -> Callable[[], int]:
    """A usage reader for runtimes without a counter: start + resident growth."""
    start_resident = resident_bytes()

    def read() -> int:
        now = resident_bytes()
        if start_resident is None or now is None:
            return start_bytes
        return start_bytes + max(0, now - start_resident)

    return read


class _Poller:
    """The one thread that samples every active watch every `POLL_SECONDS`.

    The thread holds a watch only during a round of samples: a watch reaches
    its run's Lua state (through its callbacks), so a reference kept between
    rounds would keep a state that `%lua_reset` retired, and every Python
    object its Lua holds, alive until the next run. `remove` waits for the
    round under way, so once it returns the thread neither samples the watch
    again nor holds it.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._active: dict[int, MemoryWatch] = {}
        # Reentrant: a sample's callbacks may end a watch from this thread.
        self._round = threading.RLock()
        threading.Thread(target=self._run, name="ilupa-memory-watch", daemon=True).start()

    def add(self, watch: MemoryWatch) -> None:
        with self._changed:
            self._active[id(watch)] = watch
            self._changed.notify()

    def remove(self, watch: MemoryWatch) -> None:
        with self._changed:
            self._active.pop(id(watch), None)
        with self._round:  # a round under way may hold the watch
            pass

    def _run(self) -> None:
        while True:
            time.sleep(self._next_interval())
            self._sample_round()

    def _next_interval(self) -> float:
        """Wait for an active watch; the shortest interval of those active (no watch kept)."""
        with self._changed:
            while not self._active:
                self._changed.wait()
            return min(watch.interval for watch in self._active.values())

    def _sample_round(self) -> None:
        with self._round:
            with self._changed:
                watches = list(self._active.values())
            while watches:  # popped: none is left in this frame after its sample
                watches.pop().sample_from_thread()


_poller: _Poller | None = None
_poller_lock = threading.Lock()


def _the_poller() -> _Poller:
    global _poller
    with _poller_lock:
        if _poller is None:
            _poller = _Poller()
        return _poller


class MemoryWatch:
    """Samples `read_usage` while a cell runs; warns once, before usage meets `limit`.

    It warns when usage crosses `threshold` (the warning share), or when the
    next growth step would pass `limit`: Lua tables grow by doubling, so one
    resize of a big array can jump from below the share straight past the
    limit. The largest step seen between two samples stands for the last
    resize; the next one asks for `request_steps` times that (see
    limits.RuntimeLimits.resize_request_steps). Samples come from the thread
    (every `interval` seconds) and from Lua's own thread through `sample`
    (the interrupt hook and loop checks call it), which keeps up with loops
    too fast for the thread.
    """

    def __init__(
        self,
        read_usage: Callable[[], int],
        threshold: int,
        on_warning: Callable[[int, int], None],
        on_sample: Callable[[int], None] | None = None,
        interval: float = POLL_SECONDS,
        limit: int | None = None,
        request_steps: int = 2,
    ) -> None:
        self.read_usage = read_usage
        self.threshold = threshold
        self.limit = limit
        self.request_steps = request_steps
        self.on_warning = on_warning
        self.on_sample = on_sample
        self.interval = interval
        self.warned = False  # True once usage crossed (or started above, when told so)
        self.announced = False  # True once `on_warning` was called
        self.peak = 0
        self.largest_step = 0
        self._last: int | None = None
        self._lock = threading.Lock()
        self._context: contextvars.Context | None = None

    def __enter__(self) -> MemoryWatch:
        self._context = contextvars.copy_context()
        _the_poller().add(self)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _the_poller().remove(self)  # once it returns, the poller never samples this watch

    def sample_from_thread(self) -> None:
        """The poller's sample, in the run's context."""
        if self._context is not None:
            self._context.run(self.sample)

    def sample(self, used: int | None = None) -> int:
        """Read usage (unless given); warn once it crosses the threshold or the next step would."""
        if used is None:
            used = self.read_usage()
        with self._lock:
            if self._last is not None:
                self.largest_step = max(self.largest_step, used - self._last)
            self._last = used
            self.peak = max(self.peak, used)
            next_request = self.request_steps * self.largest_step
            crossing = used >= self.threshold or (
                self.limit is not None and used + next_request >= self.limit
            )
            warn = crossing and not self.warned
            self.warned = self.warned or crossing
        if self.on_sample is not None:
            self.on_sample(used)
        if warn:
            self.announced = True
            self.on_warning(used, 0 if used >= self.threshold else next_request)
        return used
