"""Array views: out-of-range and read-only writes, views outliving their Python name."""

from __future__ import annotations

from tests.fault_corpus import Group, fails, gives, python

ARRAYS = python(
    "arrays",
    "import gc\nimport numpy as np\narr = np.arange(5.0)\nints = np.arange(4, dtype=np.int32)\n"
    "frozen = np.arange(3.0)\nfrozen.flags.writeable = False\nmatrix = np.zeros((2, 3))\n",
)
VIEWS = gives("views", "view = py.arr\nint_view = py.ints\nmatrix_view = py.matrix")

OUT_OF_RANGE = "out of range"

ENTRIES = (
    fails("write-past-end", "view[5] = 1", OUT_OF_RANGE),
    fails("write-negative", "view[-1] = 1", OUT_OF_RANGE),
    fails("write-huge-index", "view[2^53] = 1", OUT_OF_RANGE),
    fails("write-fractional-index", "view[1.5] = 1", "must be an integer"),
    fails("write-string-index", "view['x'] = 1", "x"),
    fails("write-nan-index", "view[0/0] = 1", "nan"),
    fails("read-past-end", "return view[5]", OUT_OF_RANGE),
    fails("read-negative", "return view[-1]", OUT_OF_RANGE),
    fails("write-string-value", "view[0] = 'text'", "must be a number"),
    fails("write-table-value", "view[0] = {}", "table"),
    fails("write-read-only", "py.frozen[0] = 1", "read-only"),
    fails(
        "write-read-only-through-loop",
        "local f = py.frozen\nfor i = 0, 2 do f[i] = i end",
        "read-only",
    ),
    fails("matrix-row-past-end", "return matrix_view[2]", OUT_OF_RANGE),
    fails("matrix-column-past-end", "matrix_view[0][3] = 1", OUT_OF_RANGE),
    fails("assign-a-row", "matrix_view[0] = 1", "row"),
    gives(
        "infinity-stored", "view[0] = math.huge\nlocal v = view[0]\nview[0] = 0\nreturn v", "inf"
    ),
    gives(
        "int-view-fraction-truncated",
        "int_view[0] = 1.5\nlocal v = int_view[0]\nint_view[0] = 0\nreturn v",
        "1",
    ),
    gives("int-view-in-range", "int_view[0] = 7\nreturn int_view[0]", "7"),
    # Lua 5.3+ refused these with numpy's IndexError; tables and LuaJIT views take them.
    gives("whole-float-index", "view[2.0] = 9\nlocal v = view[4/2]\nview[2] = 2\nreturn v", "9"),
    gives("whole-float-matrix-index", "matrix_view[1.0][2^1] = 4\nreturn matrix_view[1][2]", "4"),
    python("delete-array-in-python", "del arr\ngc.collect()\n'arr' in globals()", shows="False"),
    gives("view-after-delete-reads", "return view[1]", "1"),
    gives("view-after-delete-writes", "view[1] = 7\nreturn view.array[1]", "7"),
    python("rebind-array-name", "arr = np.zeros(2)\nlen(arr)", shows="2"),
    gives("old-view-keeps-old-array", "return #view, #py.arr", "(5, 2)"),
    fails("to-array-with-string", "return ilupa.toarray({1, 'x'})", "is string, not a number"),
    fails("to-table-of-list", "return ilupa.totable(py.kept_list)", "array"),
)

OVERFLOW = fails(
    "int-view-overflow", "int_view[0] = 2^40", "does not fit in an element of this int32"
)

# Silent wrong data on LuaJIT before: FFI stored these wrapped ([0, 300, -1], 44, -2^63),
# and a view made before the array was frozen kept writing into it.
NUMPY_REFUSES = (
    fails(
        "toarray-int32-out-of-range",
        "return ilupa.toarray({2^40, 300, -1}, 'int32')",
        "out of bounds for int32",
    ),
    fails("toarray-uint8-300", "return ilupa.toarray({300}, 'uint8')", "out of bounds for uint8"),
    fails("toarray-int64-nan", "return ilupa.toarray({0/0}, 'int64')", "NaN"),
    gives("toarray-in-range", "return ilupa.toarray({-2^63, 1.5, 255}, 'int64')[2]", "255"),
    python("make-a-writeable-array", "thawed = np.arange(3.0)"),
    gives("view-of-writeable-array", "thawed_view = py.thawed\nthawed_view[0] = 5"),
    python("freeze-it-after", "thawed.flags.writeable = False"),
    fails("view-made-before-freeze-write", "thawed_view[1] = 5", "read-only"),
    fails(
        "view-made-before-freeze-loop",
        "for i = 0, 2 do thawed_view[i] = 9 end",
        "read-only",
    ),
    python("frozen-array-unchanged", "thawed.tolist()", shows="[5.0, 1.0, 2.0]"),
)

GROUPS = (
    Group(
        "arrays-luajit21",
        (*ENTRIES, OVERFLOW, *NUMPY_REFUSES),
        runtime="luajit21",
        setup=(ARRAYS, VIEWS),
    ),
    Group(
        "arrays-luajit20",
        (*ENTRIES, OVERFLOW, *NUMPY_REFUSES),
        kernels=("ilupa",),
        runtime="luajit20",
        setup=(ARRAYS, VIEWS),
    ),
    Group(
        "arrays-lua54",
        (*ENTRIES, OVERFLOW, *NUMPY_REFUSES),
        kernels=("ilupa",),
        runtime="lua54",
        setup=(ARRAYS, VIEWS),
    ),
)
