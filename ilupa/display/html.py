"""Lua tables as bounded, escaped HTML for notebooks.

A notebook page can hold a few hundred cells of a table, not a million, and a
frontend freezes on megabytes of HTML. So the walk is bounded twice: a count
stops after `COUNT_LIMIT` keys (Lua's `#` still gives the length of a long
array), and rendering stops after `MAX_ENTRIES` per table, `MAX_DEPTH` levels
and `MAX_CELLS` for the whole output. Every string goes through `html.escape`,
so a table holding `<script>` shows as text.
"""

from __future__ import annotations

import html
from itertools import islice
from typing import Any

from ilupa.display.reading import reader
from ilupa.display.table_size import table_size
from ilupa.display.text import is_lua_table
from ilupa.lua_types import lua_type_of

MAX_ENTRIES = 25
MAX_COLUMNS = 12
MAX_DEPTH = 3
MAX_CELLS = 600
MAX_TEXT = 200

STYLE = (
    "<style>.ilupa-table table{border-collapse:collapse;margin:2px 0}"
    ".ilupa-table td,.ilupa-table th{border:1px solid #ccc;padding:1px 6px;"
    "text-align:left;vertical-align:top;font-family:monospace}"
    ".ilupa-table th{background:#f4f4f4;font-weight:normal}"
    ".ilupa-table .ilupa-count{color:#666;font-size:85%}</style>"
)


class _Budget:
    """Cells left for the whole output, so nesting cannot multiply the size."""

    def __init__(self, cells: int) -> None:
        self.cells = cells

    def take(self) -> bool:
        if self.cells <= 0:
            return False
        self.cells -= 1
        return True


def lua_table_html(table: Any) -> str | None:
    """`table` as an HTML fragment, bounded in size whatever the table's size.

    None (no HTML; the text form says why) when the table cannot be read: a
    failing `__tostring`, a string that is not UTF-8.
    """
    budget = _Budget(MAX_CELLS)
    try:
        return f'<div class="ilupa-table">{STYLE}{_table(table, 0, budget)}</div>'
    except Exception:
        return None


def _table(table: Any, depth: int, budget: _Budget) -> str:
    read = reader()
    own_text = read.own_text(table)
    if own_text is not None:
        return f"<code>{_escape(own_text)}</code>"  # its __tostring speaks for it
    size = table_size(table)
    caption = f'<span class="ilupa-count">Lua table, {size.describe()}</span>'
    if size.counted == 0 and size.exact:
        return "<code>{}</code>"
    if depth >= MAX_DEPTH:
        return f"<code>{{…}}</code> {caption}"
    if size.is_array:
        rows = [read.item(table, i) for i in range(1, min(size.length, MAX_ENTRIES) + 1)]
        shown = len(rows)
        width = _matrix_width(rows)
        body = _matrix(rows, width) if width else _sequence(rows, depth, budget)
        total = size.length
    else:
        pairs = list(islice(table.items(), MAX_ENTRIES))
        body = _mapping(pairs, depth, budget)
        shown = len(pairs)
        total = size.counted if size.exact else None
    if total is None or total > shown:
        rest = f"{total - shown:,} more" if total is not None else "more"
        caption += f'<span class="ilupa-count"> · showing {shown:,}, {rest} not shown</span>'
    return f"{caption}<table>{body}</table>"


def _matrix_width(rows: list[Any]) -> int:
    """Column count when every row is a short-enough array of scalars, else 0."""
    width = 0
    for row in rows:
        if not is_lua_table(row):
            return 0
        size = table_size(row, limit=4 * MAX_COLUMNS)
        if not size.is_array:
            return 0
        read = reader()
        if any(
            is_lua_table(read.item(row, j)) for j in range(1, min(size.length, MAX_COLUMNS) + 1)
        ):
            return 0
        width = max(width, size.length)
    return width


def _matrix(rows: list[Any], width: int) -> str:
    shown = min(width, MAX_COLUMNS)
    header = "".join(f"<th>{j}</th>" for j in range(1, shown + 1))
    if width > shown:
        header += f"<th>… {width - shown:,} more</th>"
    lines = [f"<tr><th></th>{header}</tr>"]
    for i, row in enumerate(rows, 1):
        read = reader()
        cells = "".join(
            f"<td>{_scalar(read.item(row, j))}</td>" for j in range(1, min(len(row), shown) + 1)
        )
        lines.append(f"<tr><th>{i}</th>{cells}</tr>")
    return "".join(lines)


def _sequence(rows: list[Any], depth: int, budget: _Budget) -> str:
    lines = []
    for i, value in enumerate(rows, 1):
        if not budget.take():
            lines.append("<tr><td colspan=2>… (output limit)</td></tr>")
            break
        lines.append(f"<tr><th>{i}</th><td>{_value(value, depth, budget)}</td></tr>")
    return "".join(lines)


def _mapping(pairs: list[tuple[Any, Any]], depth: int, budget: _Budget) -> str:
    lines = []
    for key, value in pairs:
        if not budget.take():
            lines.append("<tr><td colspan=2>… (output limit)</td></tr>")
            break
        key_html = _escape(key) if isinstance(key, str) else _scalar(key)
        lines.append(f"<tr><th>{key_html}</th><td>{_value(value, depth, budget)}</td></tr>")
    return "".join(lines)


def _value(value: Any, depth: int, budget: _Budget) -> str:
    if is_lua_table(value):
        return _table(value, depth + 1, budget)
    return _scalar(value)


def _scalar(value: Any) -> str:
    if value is None:
        return "<i>nil</i>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _escape(repr(value))
    if isinstance(value, str):
        return _escape('"' + value + '"')
    if is_lua_table(value):
        return "<code>{…}</code>"
    kind = lua_type_of(value)
    if kind:
        return f"<i>Lua {_escape(kind)}</i>"
    return f"<i>{_escape(type(value).__name__)}</i> {_escape(repr(value))}"


def _escape(value: Any) -> str:
    text = str(value)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + f"… ({len(text) - MAX_TEXT:,} more characters)"
    return html.escape(text)
