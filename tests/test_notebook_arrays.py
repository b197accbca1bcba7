"""notebooks/arrays-and-speed.ipynb runs top to bottom and shows what its text promises.

Expected values are computed here with numpy from the arrays the notebook
defines, so the checks follow the notebook's inputs, not copied outputs.
"""

from __future__ import annotations

import re
import runpy

import nbformat
import numpy as np
import pytest
from IPython.lib.pretty import pretty

from tests.notebook_helpers import (
    NOTEBOOKS,
    cell_containing,
    data_of,
    error_output,
    result_text,
    run_tour_notebook,
    stream_text,
)
from tests.png_reading import decode_png

pytestmark = pytest.mark.notebook

tour_order = runpy.run_path(str(NOTEBOOKS / "execute.py"))["tour_order"]  # the `make run` order

TOUR = [
    "quickstart.ipynb",
    "big-data-by-reference.ipynb",
    "arrays-and-speed.ipynb",
    "widgets-from-lua.ipynb",
    "memory-warnings.ipynb",
    "lua-kernel.ipynb",
    "scale-out-with-dask.ipynb",
    "lua-libraries.ipynb",
    "data-frames.ipynb",
    "profiling.ipynb",
]


@pytest.fixture(scope="module")
def arrays() -> nbformat.NotebookNode:
    return run_tour_notebook("arrays-and-speed.ipynb")


def test_tour_order_is_the_readme_list_and_covers_every_notebook():
    assert [path.name for path in tour_order()] == TOUR
    assert sorted(TOUR) == sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))


def test_a_view_reads_the_array_with_python_indexing_and_its_shape(arrays):
    x = np.arange(10, dtype=np.float64) ** 2
    printed = stream_text(cell_containing(arrays, "x[0], x[3], x[9]"))
    assert printed.splitlines() == [
        "array view (float64, shape (10))",
        f"#x =\t{len(x)}\tndim =\t{x.ndim}\tshape[1] =\t{x.shape[0]}",
        f"x[0], x[3], x[9] =\t{x[0]:g}\t{x[3]:g}\t{x[9]:g}",
    ]


def test_writes_through_a_view_change_the_numpy_array(arrays):
    expected = np.arange(10, dtype=np.float64) ** 2 + 0.5
    shown = next(c for c in arrays.cells if c.cell_type == "code" and c.source == "x")
    assert result_text(shown) == pretty(expected)


def test_two_dimensional_indexing_reads_rows_and_writes_elements(arrays):
    m = np.arange(12, dtype=np.int32).reshape(3, 4)
    printed = stream_text(cell_containing(arrays, "m[1][2]"))
    assert printed.splitlines() == [
        "array view (int32, shape (3, 4))",
        "shape\t3\t4\tndim\t2",
        f"m[1][2] =\t{m[1, 2]}",
        "#m[0] =\t4",
    ]
    m[2, 3] = -1
    shown = next(c for c in arrays.cells if c.cell_type == "code" and c.source == "m")
    assert result_text(shown) == pretty(m)


def test_a_read_only_array_refuses_writes_and_keeps_its_values(arrays):
    error = error_output(cell_containing(arrays, "py.frozen[0] = 42"))
    assert error["ename"] == "LuaRuntimeError"
    assert "read-only" in error["evalue"]
    printed = stream_text(cell_containing(arrays, "frozen[0] is still"))
    assert "array index 5 out of range [0, 5)" in printed
    assert printed.endswith("frozen[0] is still\t0\n")


def test_the_speed_cell_prints_three_timings_and_equal_sums(arrays):
    printed = stream_text(cell_containing(arrays, "same sums:"))
    for name in ("numpy.sum", "Lua loop, view", "Lua loop, table"):
        assert re.search(rf"^{re.escape(name)} +\d+\.\d\d ms", printed, re.MULTILINE), name
    assert printed.rstrip().endswith("same sums: True True")


def test_conversions_copy_both_ways_with_the_dtype_asked_for(arrays):
    printed = stream_text(cell_containing(arrays, "ilupa.totable(py.x)"))
    x = np.arange(10, dtype=np.float64) ** 2 + 0.5
    assert printed.splitlines()[0] == f"table\t10\tentries; t[1] =\t{x[0]:g}\tt[10] =\t{x[9]:g}"
    expected = (x * 2, np.array([3, 1, 2], dtype=np.int16), np.dtype("int16"))
    assert result_text(cell_containing(arrays, "doubled, counts")) == pretty(expected)


def test_the_lua_filled_2d_array_is_shown_as_an_image(arrays):
    (shown,) = data_of(cell_containing(arrays, "display_image(escape"))
    pixels = decode_png(shown["image/png"])
    assert pixels.shape == (160, 240, 1)
    printed = stream_text(cell_containing(arrays, "pixels inside the set"))
    inside, total = map(int, re.findall(r"\d+", printed))
    assert 0 < inside < total == pixels.size
    assert int((pixels == 255).sum()) == inside  # the largest escape count is white
    assert len(np.unique(pixels)) > 10  # grey levels, not a two-colour mask
