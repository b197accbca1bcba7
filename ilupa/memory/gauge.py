"""An ipywidgets gauge of Lua memory that the watcher moves while cells run.

Widget updates are comm messages, which ipykernel sends from any thread, so
the gauge moves during a long cell, not only when it ends. Updates are
throttled to a few per second to keep the comm channel quiet.
"""

from __future__ import annotations

import time
from typing import Any

from ilupa.memory.budget import format_bytes

MIN_SECONDS_BETWEEN_UPDATES = 0.2
DESCRIPTION = "Lua memory"


class MemoryGauge:
    """A progress bar (share of the budget) with a label: used / budget."""

    def __init__(self, limit: int, warning_share: float) -> None:
        import ipywidgets

        self.limit = limit
        self.warning_share = warning_share
        self.bar = ipywidgets.FloatProgress(
            value=0.0,
            min=0.0,
            max=1.0,
            description=DESCRIPTION,
            bar_style="info",
            # The default description width cuts "Lua memory" to "Lua mem…".
            style={"description_width": "initial"},
        )
        self.label = ipywidgets.Label(value="")
        self.widget = ipywidgets.HBox([self.bar, self.label])
        self._last_update = 0.0

    def update(self, used: int, force: bool = False) -> None:
        """Show `used` bytes; skipped when the last update was moments ago, unless forced."""
        now = time.monotonic()
        if not force and now - self._last_update < MIN_SECONDS_BETWEEN_UPDATES:
            return
        self._last_update = now
        share = used / self.limit if self.limit else 0.0
        self.bar.value = min(share, 1.0)
        self.bar.bar_style = "danger" if share >= self.warning_share else "info"
        # The figures as `%lua_memory` prints them: "159.9 KiB used of 12.0 GiB (0.0%)".
        self.label.value = f"{format_bytes(used)} used of {format_bytes(self.limit)} ({share:.1%})"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
