"""A profile as the user reads it: lines and functions by their share of the samples.

Chunk names are the cells' (`In[3]`) and lines are the editor's (the cell's chunk
is placed at its editor line, ilupa/magics/cell_lines.py), so a row names the
place the user sees. A notebook shows the HTML table (`_repr_html_`), a terminal
the text (`__repr__`, also text/plain).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

SORT_KEYS = ("share", "place", "name")


@dataclass(frozen=True)
class ProfileRow:
    """One line or one function: where, how much, and (for a line) its source text."""

    place: str
    weight: float
    share: float
    source: str = ""


@dataclass(frozen=True)
class TraceAbort:
    """A LuaJIT trace that was not compiled: where recording stopped, and why (as -jv says)."""

    place: str
    reason: str
    times: int


@dataclass
class Profile:
    """Where a run's time went, by line and by function, sorted by share."""

    runtime: str
    unit: str  # "seconds" (PUC Lua: CPU time between samples) or "samples" (LuaJIT)
    total: float
    lines: list[ProfileRow] = field(default_factory=list)
    functions: list[ProfileRow] = field(default_factory=list)
    aborts: list[TraceAbort] = field(default_factory=list)
    states: dict[str, float] = field(default_factory=dict)  # LuaJIT: N native, I interpreted...
    limit: int | None = 20

    def sorted_by(self, key: str) -> Profile:
        """The same profile with rows sorted by `key`: share (largest first), place, or name."""
        if key not in SORT_KEYS:
            raise ValueError(f"sort key {key!r}: one of {', '.join(SORT_KEYS)}")

        def order(rows: list[ProfileRow]) -> list[ProfileRow]:
            if key == "share":
                return sorted(rows, key=lambda row: (-row.weight, row.place))
            return sorted(rows, key=lambda row: _place_key(row.place))

        return Profile(
            self.runtime,
            self.unit,
            self.total,
            order(self.lines),
            order(self.functions),
            self.aborts,
            self.states,
            self.limit,
        )

    def limited(self, limit: int | None) -> Profile:
        """The same profile showing at most `limit` rows per table (None: all)."""
        return Profile(
            self.runtime,
            self.unit,
            self.total,
            self.lines,
            self.functions,
            self.aborts,
            self.states,
            limit,
        )

    def _shown(self, rows: list[ProfileRow]) -> list[ProfileRow]:
        return rows if self.limit is None else rows[: self.limit]

    def _heading(self) -> str:
        total = f"{self.total:.3f} s CPU" if self.unit == "seconds" else f"{self.total:g} samples"
        how = "jit.profile" if self.unit == "samples" else "count-hook sampling"
        text = f"Lua profile ({self.runtime}, {how}): {total}"
        if self.states:
            names = {"N": "compiled", "I": "interpreted", "C": "C code", "G": "GC", "J": "JIT"}
            parts = [
                f"{names.get(state, state)} {count / max(self.total, 1):.0%}"
                for state, count in sorted(self.states.items(), key=lambda item: -item[1])
            ]
            text += " (" + ", ".join(parts) + ")"
        return text

    def text(self) -> str:
        """The profile as plain text, for a terminal."""
        out = [self._heading()]
        for title, rows in (("lines", self.lines), ("functions", self.functions)):
            out.append(f"  {title}:")
            if not rows:
                out.append("    (no samples)")
            for row in self._shown(rows):
                source = f"  {row.source.strip()}" if row.source else ""
                out.append(f"    {row.share:6.1%}  {row.place}{source}")
        if self.aborts:
            out.append("  trace aborts:")
            for abort in self.aborts:
                times = f" (x{abort.times})" if abort.times > 1 else ""
                out.append(f"    {abort.place}: {abort.reason}{times}")
        return "\n".join(out)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        def table(title: str, rows: list[ProfileRow]) -> str:
            body = "".join(
                f"<tr><td style='text-align:right'>{row.share:.1%}</td>"
                f"<td><code>{html.escape(row.place)}</code></td>"
                f"<td><code>{html.escape(row.source.strip())}</code></td></tr>"
                for row in self._shown(rows)
            )
            return (
                f"<table><thead><tr><th>share</th><th>{title}</th><th>source</th></tr></thead>"
                f"<tbody>{body}</tbody></table>"
            )

        parts = [
            f"<div class='ilupa-profile'><p>{html.escape(self._heading())}</p>",
            table("line", self.lines),
            table("function", self.functions),
        ]
        if self.aborts:
            rows = "".join(
                f"<tr><td><code>{html.escape(a.place)}</code></td><td>{html.escape(a.reason)}</td>"
                f"<td>{a.times}</td></tr>"
                for a in self.aborts
            )
            parts.append(
                "<p>Trace aborts (LuaJIT could not compile these):</p><table><thead><tr>"
                f"<th>where</th><th>reason</th><th>times</th></tr></thead><tbody>{rows}</tbody>"
                "</table>"
            )
        parts.append("</div>")
        return "".join(parts)

    def to_json(self) -> str:
        """The whole profile (all rows) as JSON, for `%lua_profile -D FILE`."""
        data = asdict(self)
        data.pop("limit")
        return json.dumps(data, indent=2)


def _place_key(place: str) -> tuple[str, int]:
    chunk, _, line = place.rpartition(":")
    return (chunk, int(line)) if line.isdigit() else (place, 0)


def _items(table: Any) -> list[tuple[Any, Any]]:
    if table is None:
        return []
    if isinstance(table, Mapping):
        return list(table.items())
    return list(table.items())


def _rows(
    table: Any, total: float, sources: Mapping[str, str], with_source: bool
) -> list[ProfileRow]:
    rows = []
    for place, weight in _items(table):
        place, weight = str(place), float(weight)
        source = _source_line(place, sources) if with_source else ""
        rows.append(ProfileRow(place, weight, weight / total if total > 0 else 0.0, source))
    return sorted(rows, key=lambda row: (-row.weight, row.place))


def _source_line(place: str, sources: Mapping[str, str]) -> str:
    chunk, _, line = place.rpartition(":")
    text = sources.get(chunk)
    if text is None or not line.isdigit():
        return ""
    lines = text.split("\n")
    number = int(line)
    return lines[number - 1] if 0 < number <= len(lines) else ""


def profile_from(raw: Any, sources: Mapping[str, str], runtime: str) -> Profile:
    """A Profile from the result table of ilupa/profiler/profiler.lua's `stop`."""
    total = float(raw["total"] or 0)
    aborts = [
        TraceAbort(str(a["where"]), str(a["reason"]), int(a["times"]))
        for _, a in _items(raw["aborts"])
    ]
    states = {str(k): float(v) for k, v in _items(raw["states"])}
    return Profile(
        runtime=runtime,
        unit=str(raw["unit"]),
        total=total,
        lines=_rows(raw["lines"], total, sources, with_source=True),
        functions=_rows(raw["functions"], total, sources, with_source=False),
        aborts=aborts,
        states=states,
    )
