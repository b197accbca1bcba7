"""The ilupa kernel passes jupyter_kernel_test's protocol checks as a Lua kernel."""

from __future__ import annotations

import unittest

import jupyter_kernel_test
import pytest

import tests.kernel_support  # noqa: F401  (installs the kernelspec first)

pytestmark = pytest.mark.kernel


class IlupaKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "ilupa"
    language_name = "lua"
    file_extension = ".lua"

    code_hello_world = 'print("hello, world")'
    code_stderr = 'io.stderr:write("oops\\n")'
    code_execute_result = [  # noqa: RUF012
        {"code": "1 + 2", "result": "3"},
        {"code": "local s = 'a' .. 'b'\ns", "result": "'ab'"},
        {"code": "%%py\nn = [6]\nn[0] * 7", "result": "42"},
    ]
    code_generate_error = "error('boom')"
    code_display_data = [  # noqa: RUF012
        {"code": "display({1, 2})", "mime": "text/html"},
        {"code": "display('plain words')", "mime": "text/plain"},
    ]
    code_clear_output = "clear_output()"
    completion_samples = [  # noqa: RUF012
        {"text": "pri", "matches": {"print"}},
        {"text": "string.fo", "matches": {"format"}},
        {"text": "whi", "matches": {"while"}},
    ]
    complete_code_samples = ["x = 1", "for i = 1, 2 do end", "%%py\nx = 1"]  # noqa: RUF012
    incomplete_code_samples = ["for i = 1, 2 do", "function f()", "x = [[long"]  # noqa: RUF012
    invalid_code_samples = ["x = = 1", "1 2"]  # noqa: RUF012
    code_inspect_sample = "string.format"
    code_page_something = "string.format?"
    code_history_pattern = "1 + *"
    # Not "range": IPython's history numbers the running session 0 in range
    # replies (any IPython kernel fails that check), which is no Lua matter.
    supported_history_operations = ("tail", "search")


if __name__ == "__main__":
    unittest.main()
