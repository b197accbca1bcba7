"""Failed Lua cells raise clear errors and lose no state."""

from __future__ import annotations

import re

import pytest

import ilupa
from ilupa.errors import VALUE_LOST, LuaMemoryError, LuaRuntimeError, lua_error_from
from ilupa.runtimes import available_runtimes
from ilupa.session import LuaSession
from tests.conftest import lua_magics, run


@pytest.fixture
def prepared(runtime_shell):
    """A shell with a Lua global and a Python variable set before the failing cell."""
    run(runtime_shell, "%lua lua_before = 'kept'").raise_error()
    runtime_shell.user_ns["python_before"] = [1, 2]
    return runtime_shell


def assert_state_kept(shell):
    assert run(shell, "%lua lua_before").result == "kept"
    assert shell.user_ns["python_before"] == [1, 2]


# Lines are the cell's own, as the editor numbers them: line 1 is the `%%lua` line.


def test_syntax_error_names_line_and_source(prepared):
    result = run(prepared, "%%lua\nlocal ok = 1\nlocal broken = = 2\n")
    error = result.error_in_exec
    assert isinstance(error, ilupa.LuaSyntaxError)
    assert error.location.line == 3
    assert error.location.text == "local broken = = 2"
    assert_state_kept(prepared)


def test_syntax_error_runs_nothing(prepared):
    run(prepared, "%%lua\nlua_before = 'changed'\nthen")
    assert_state_kept(prepared)


def test_runtime_error_names_line_source_and_traceback(prepared):
    result = run(prepared, "%%lua\nlocal t = nil\n\nreturn t.field")
    error = result.error_in_exec
    assert isinstance(error, ilupa.LuaRuntimeError)
    assert error.location.line == 4
    assert error.location.text == "return t.field"
    assert "stack traceback" in error.lua_traceback
    assert_state_kept(prepared)


def test_error_in_the_last_expression_keeps_its_location(prepared):
    error = run(prepared, '%%lua\nx = 1\nerror("boom")').error_in_exec
    assert error.message == "boom"
    assert error.location.line == 3
    assert "main chunk" in error.lua_traceback


def test_error_inside_a_function_from_an_earlier_cell_points_there(prepared):
    run(prepared, "%%lua\nfunction fails()\n  error('inner')\nend").raise_error()
    error = run(prepared, "%%lua\n\nfails()").error_in_exec
    assert error.location.text.strip() == "error('inner')"
    assert "in function 'fails'" in error.lua_traceback or "fails" in error.lua_traceback
    assert_state_kept(prepared)


def test_statements_before_the_error_take_effect(prepared):
    run(prepared, "%%lua\nprogress = 1\nerror('stop')\nprogress = 2")
    assert run(prepared, "%lua progress").result == 1
    assert_state_kept(prepared)


@pytest.mark.parametrize(
    ("value", "described"),
    [
        ("{}", "table value"),
        ("nil", "nil value"),
        ("42", "42"),
        ("setmetatable({}, {__tostring = function() return 'custom' end})", "custom"),
    ],
)
def test_non_string_error_values_are_described(prepared, value, described):
    error = run(prepared, f"%lua error({value})").error_in_exec
    assert isinstance(error, ilupa.LuaRuntimeError)
    assert described in str(error)
    assert_state_kept(prepared)


def test_metamethod_recursion_is_a_stack_overflow_every_time(prepared):
    """Repeated, it once came back as out-of-memory on LuaJIT 2.1 (no handler was called)."""
    cell = (
        "%%lua\nlocal t\n"
        "t = setmetatable({}, {__index = function(s, k) return s[k] end})\nreturn t.x"
    )
    for _ in range(6):
        error = run(prepared, cell).error_in_exec
        assert type(error) is ilupa.LuaRuntimeError
        assert "overflow" in error.message
    assert_state_kept(prepared)


def test_python_exception_through_lua_keeps_its_type(prepared):
    run(prepared, "def explode():\n    raise KeyError('from python')").raise_error()
    error = run(prepared, "%%lua\nlocal x = 1\npy.explode()").error_in_exec
    assert isinstance(error, KeyError)
    assert error.args == ("from python",)
    assert any("In[" in note for note in error.__notes__)
    frames = []
    tb = error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert "explode" in frames
    assert_state_kept(prepared)


def test_error_report_is_lua_style_in_ipython(prepared, capsys):
    run(prepared, "%%lua\nundefined_function()")
    out = capsys.readouterr().out
    assert "LuaRuntimeError" in out
    assert "line 2" in out
    assert "undefined_function()" in out
    assert "lua_magics.py" not in out


def test_os_exit_is_refused(prepared):
    error = run(prepared, "%lua os.exit(1)").error_in_exec
    assert "os.exit" in str(error)
    assert_state_kept(prepared)


def test_failed_cell_result_is_not_stored(prepared):
    result = run(prepared, "%lua error('x')")
    assert not result.success
    assert result.result is None


@pytest.mark.parametrize(
    ("value", "kind"), [("{1, 2}", "table"), ("nil", "nil"), ("print", "function")]
)
def test_an_error_value_raised_in_a_call_from_python_is_described(
    session: LuaSession, value: str, kind: str
) -> None:
    # Lua functions reach Python as LuaFunctions, called through ilupa's runner,
    # which describes a non-string error value (lupa alone would keep no text).
    session.namespace["call_lua"] = lambda function, *args: function(*args)
    with pytest.raises(LuaRuntimeError) as raised:
        session.run(f"py.call_lua(error, {value})", "lost")
    assert raised.value.message.startswith(f"(error object is a {kind} value")
    assert session.run("return 1 + 1", "after") == (2,)


def test_an_error_value_lupa_loses_is_described_not_empty(session: LuaSession) -> None:
    raw_error = session.globals.error  # lupa's own function object, read from a table
    with pytest.raises(session.module.LuaError) as raised:
        raw_error({})
    error = lua_error_from(LuaRuntimeError, str(raised.value), session.sources)
    assert error.message == VALUE_LOST


def test_blank_lines_before_the_magic_count_too(prepared):
    error = run(prepared, "\n\n%%lua\nlocal x = 1\nerror('here')").error_in_exec
    assert (error.location.line, error.location.text) == (5, "error('here')")


def test_lua_itself_counts_the_cells_lines(prepared):
    """debug.getinfo, caught error messages and tracebacks agree with the report."""
    cell = (
        "%%lua\n"
        "local here = debug.getinfo(1, 'l').currentline\n"
        "local ok, message = pcall(function()\n"
        "  error('caught')\n"
        "end)\n"
        "return here, message, debug.traceback()"
    )
    here, message, traceback = run(prepared, cell).result
    assert here == 2
    assert message.endswith(":4: caught")
    assert ":6:" in traceback


def test_a_function_from_an_earlier_cell_names_that_cells_line(prepared):
    run(prepared, "%%lua\nfunction fails()\n  error('inner')\nend").raise_error()
    error = run(prepared, "%%lua\nfails()").error_in_exec
    assert error.location.line == 3
    assert ":3: in " in error.lua_traceback  # the function's line in its own cell
    assert ":2: in main chunk" in error.lua_traceback


def test_line_magic_errors_name_line_1(prepared):
    error = run(prepared, "x = 1\ny = %lua error('boom')").error_in_exec
    assert error.location.line == 1
    assert error.location.text == "error('boom')"


@pytest.mark.parametrize("runtime", ["lua54", "luajit21"])
def test_sandbox_cells_count_the_magic_line(shell, runtime):
    run(shell, f"%config LuaMagics.sandbox_runtime = '{runtime}'").raise_error()
    error = run(shell, "%%lua --sandbox\nlocal x = 1\nerror('sandboxed')").error_in_exec
    assert isinstance(error, ilupa.LuaError)
    assert error.location.line == 3
    assert error.location.text == "error('sandboxed')"


def test_a_luajit_hash_line_is_still_skipped_where_luajit_skips_it(shell):
    """LuaJIT skips a first line starting with `#` in any chunk; the cell keeps that meaning."""
    for runtime in ("luajit21", "lua54"):
        run(shell, f"%lua_reset {runtime}").raise_error()
        result = run(shell, "%%lua\n# a shell-style first line\nreturn 1 + 1")
        if runtime.startswith("luajit"):
            assert result.result == 2
        else:
            assert isinstance(result.error_in_exec, ilupa.LuaSyntaxError)
            assert result.error_in_exec.location.line == 2


def test_what_luajit_skips_at_a_chunks_start_stays_skipped_when_the_cell_has_a_value(shell):
    """A byte-order mark and a `#` first line: LuaJIT skips them only as a chunk's first
    bytes, so ilupa's additions (the cell's value, the editor's line numbers) come after."""
    run(shell, "%lua_reset luajit21").raise_error()
    assert run(shell, "%%lua\n\ufeffbom_x = 41\nbom_x + 1").result == 42
    assert run(shell, "%%lua\n# shell-style line\nhash_x = 1\nhash_x + 1").result == 2
    error = run(shell, "%%lua\n\ufeffok = 1\nerror('here')").error_in_exec
    assert error.location.line == 3


@pytest.mark.parametrize(
    ("cell", "line", "quoted"),
    [
        ("%%lua\nx = 1\nreturn 'a\udcff'", 3, "return 'a\\udcff'"),
        ("%%lua\n-- a comment \udcff\nreturn 1", 2, "-- a comment \\udcff"),
        ("%lua 'a\udcff'", 1, "'a\\udcff'"),
        ("%%lua --sandbox\nlocal s = 1\nreturn 'a\udcff'", 3, "return 'a\\udcff'"),
    ],
    ids=["cell", "comment", "line-magic", "sandbox"],
)
def test_a_lone_surrogate_names_the_cell_line(prepared, capsys, cell, line, quoted):
    """A lone surrogate has no UTF-8 form: lupa's encoding of the cell failed with a bare
    UnicodeEncodeError ("in position 10") and, for `%lua` and the sandbox, a traceback
    through ilupa's files. Now a syntax error at the cell's line; nothing ran."""
    if "--sandbox" in cell and lua_magics(prepared).runtime == "luajit20":
        pytest.skip("the sandbox refuses luajit20 (no memory budget)")
    error = run(prepared, cell).error_in_exec
    assert isinstance(error, ilupa.LuaSyntaxError)
    assert error.location is not None
    assert (error.location.line, error.location.text) == (line, quoted)
    assert "U+DCFF" in error.message
    shown = capsys.readouterr().out
    assert f"line {line}" in shown
    assert "ilupa/" not in shown and "lupa/" not in shown
    assert_state_kept(prepared)


def _frame_files(error: BaseException) -> list[str]:
    """The files of the frames IPython shows (it hides those with `__tracebackhide__`)."""
    files = []
    tb = error.__traceback__
    while tb is not None:
        if not tb.tb_frame.f_locals.get("__tracebackhide__"):
            files.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    return files


def _internal(filename: str) -> bool:
    return "/ilupa/" in filename or filename.endswith((".pyx", "contextlib.py"))


def test_a_python_error_raised_through_lua_shows_no_ilupa_frames(prepared, capsys):
    """`py.l[1.5]` showed ilupa/cell_run.py, contextlib and ilupa/proxy/manners.py
    frames; now the message and Lua's traceback, as for a Lua error."""
    prepared.user_ns["numbers"] = [1, 2, 3]
    error = run(prepared, "%%lua\nlocal x = 1\nreturn py.numbers[1.5]").error_in_exec
    assert isinstance(error, TypeError)
    assert not [f for f in _frame_files(error) if _internal(f)]
    shown = capsys.readouterr().out
    assert "list indices must be integers" in shown
    assert "In[" in shown and ":3: in main chunk" in shown
    assert "ilupa/" not in shown and "contextlib" not in shown
    assert_state_kept(prepared)


def test_a_users_python_frames_are_kept_and_ilupa_s_dropped(prepared, capsys):
    run(prepared, "def explode(x):\n    raise ValueError(f'bad {x}')").raise_error()
    error = run(prepared, "%%lua\npy.explode(7)").error_in_exec
    assert isinstance(error, ValueError)
    files = _frame_files(error)
    assert not [f for f in files if _internal(f)]
    shown = capsys.readouterr().out
    assert "explode" in shown and "bad 7" in shown
    assert "ilupa/" not in shown and "contextlib" not in shown
    function = run(prepared, "%lua function(x) py.explode(x) end").result
    with pytest.raises(ValueError) as called:
        function(8)  # a Lua function called from Python
    assert not [f for f in _frame_files(called.value) if _internal(f)]


def test_a_float16_overflow_warning_names_the_cell_line(prepared):
    """numpy's "overflow encountered in cast" named ilupa/proxy/arrays.py."""
    import warnings

    import numpy as np

    prepared.user_ns["halves"] = np.zeros(2, dtype=np.float16)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(prepared, "%%lua\nlocal v = py.halves\nv[0] = 1\nv[1] = 1e6").raise_error()
    overflow = [w for w in caught if "overflow" in str(w.message)]
    assert [(w.lineno, w.category) for w in overflow] == [(4, RuntimeWarning)]
    assert re.fullmatch(r"In\[\d+\]", overflow[0].filename)
    assert np.isinf(prepared.user_ns["halves"][1])


@pytest.mark.parametrize("runtime", [r for r in ("lua52", "lua53") if r in available_runtimes()])
def test_an_error_in_a_finalizer_a_collection_step_ran_is_an_error_not_memory(
    runtime: str,
) -> None:
    # Lua 5.2/5.3 call no message handler for it, as for a memory error
    session = LuaSession(runtime, {})
    code = (
        "made_here = 'yes'\n"
        "setmetatable({}, {__gc = function() error('boom in gc') end})\n"
        "local t = {}\nfor i = 1, 1e5 do t[i] = {} end"
    )
    with pytest.raises(LuaRuntimeError, match="boom in gc") as raised:
        session.run(code, "In[1]")
    assert not isinstance(raised.value, LuaMemoryError)
    assert session.globals["made_here"] == "yes"  # globals stay, as after any error
