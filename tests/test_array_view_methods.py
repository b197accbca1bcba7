"""A view's string keys that are not its own fields reach the ndarray, on every runtime.

The view's own fields are `shape`, `ndim`, `dtype`, `readonly`, `array` and
`copy`; anything else is numpy's (`v:sum()`, `v.T`, `v:reshape(2, 5)`), and a
result that is an array is a view again. Number indexing is unchanged (0-based;
its speed is tests/test_jit_traces.py's and the proxy benchmark's).
"""

from __future__ import annotations

import numpy as np
import pytest

from ilupa.session import LuaSession


def run(session: LuaSession, code: str, **arrays: np.ndarray) -> tuple:
    for name, array in arrays.items():
        session.globals[name] = session.proxy.view(array)
    return session.run(code, "In[1]")


def test_methods_of_the_ndarray_are_called_with_a_colon(session: LuaSession) -> None:
    v = np.arange(10.0)
    code = "return v:sum(), v:mean(), v:max(), #v:tolist(), v:argmax()"
    assert run(session, code, v=v) == (45.0, 4.5, 9.0, 10, 9)


def test_array_results_are_views_again(session: LuaSession) -> None:
    tri = np.tri(3)
    code = """
    local t, r, c = v:transpose(), w:reshape(2, 5), v.T
    return tostring(t), t[0][2], t[2][0], tostring(r), r[1][4], c[0][1], t.array, t.ndim
    """
    result = run(session, code, v=tri, w=np.arange(10.0))
    assert result[0] == "array view (float64, shape (3, 3))"
    assert result[1:3] == (1.0, 0.0)
    assert result[3] == "array view (float64, shape (2, 5))"
    assert result[4:6] == (9.0, 1.0)
    np.testing.assert_array_equal(result[6], tri.T)
    assert result[7] == 2


def test_numpy_attributes_that_share_a_name_with_nothing_of_the_view(session: LuaSession) -> None:
    a = np.zeros((2, 3))
    code = "return v.size, v.strides[0], v.strides[1], v.flags.writeable, v.itemsize, v.nothing"
    assert run(session, code, v=a) == (6, 24, 8, True, 8, None)


def test_own_fields_stay_the_views(session: LuaSession) -> None:
    code = "return v.shape[1], v.shape[2], v.ndim, v.dtype, v.readonly, #v:copy(), w:copy()[2]"
    result = run(session, code, v=np.zeros((2, 3), dtype=np.int32), w=np.arange(3.0))
    assert result == (2, 3, 2, "int32", False, 2, 1.0)


def test_a_method_writing_in_place_changes_the_array(session: LuaSession) -> None:
    a = np.array([3.0, 1.0, 2.0])
    run(session, "v:sort(); v:put(0, 7)", v=a)
    np.testing.assert_array_equal(a, [7.0, 2.0, 3.0])


def test_number_indexing_stays_zero_based_for_every_layout(session: LuaSession) -> None:
    a = np.arange(12.0).reshape(3, 4)[:, ::-2]
    code = "return v[0][0], v[2][1], #v, v[1][0]"
    assert run(session, code, v=a) == (3.0, 9.0, 3, 7.0)


@pytest.mark.parametrize("key", ["true", "{}"])
def test_other_keys_are_still_errors(session: LuaSession, key: str) -> None:
    with pytest.raises(Exception, match="array index must be an integer"):
        run(session, f"return v[{key}]", v=np.arange(3.0))
