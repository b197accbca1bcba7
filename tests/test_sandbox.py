"""`%%lua --sandbox`: untrusted Lua gets no Python, no os/io/debug, and budgets it cannot dodge."""

from __future__ import annotations

import os
import signal
import threading

import pytest
from IPython.core.interactiveshell import InteractiveShell

from ilupa.errors import LuaRuntimeError
from ilupa.sandbox import SandboxInstructionLimit, SandboxMemoryLimit, SandboxUnavailable
from ilupa.sandbox.state import SandboxState
from tests.conftest import RUNTIMES, run

SANDBOX_RUNTIMES = [name for name in RUNTIMES if name != "luajit20"]


@pytest.fixture(params=SANDBOX_RUNTIMES)
def sandbox_shell(request: pytest.FixtureRequest, shell: InteractiveShell) -> InteractiveShell:
    """A shell whose sandbox runs on each runtime that can hold a memory budget."""
    run(shell, f"%config LuaMagics.sandbox_runtime = '{request.param}'").raise_error()
    run(shell, "%config LuaMagics.sandbox_memory_limit = '16MiB'").raise_error()
    run(shell, "%config LuaMagics.sandbox_instruction_limit = 2000000").raise_error()
    return shell


def sandboxed(shell: InteractiveShell, code: str):
    return run(shell, "%%lua --sandbox\n" + code)


def value_of(shell: InteractiveShell, code: str):
    result = sandboxed(shell, code)
    result.raise_error()
    return result.result


ABSENT = [
    "python",
    "py",
    "os.execute",
    "os.exit",
    "os.getenv",
    "io",
    "debug",
    "package",
    "require('io')",  # require exists, to say why it loads nothing (docs/lua-libraries.md)
    "require('debug')",
    "require('package')",
    "require('ffi')",
    "require('os').execute",
    "dofile",
    "loadfile",
    "loadstring",
    "setfenv",
    "getfenv",
    "string.dump",
    "jit",
    "ffi",
    "collectgarbage('stop')",
]


@pytest.mark.parametrize("name", ABSENT)
def test_dangerous_names_are_absent_or_refused(sandbox_shell: InteractiveShell, name: str) -> None:
    result = sandboxed(sandbox_shell, f"return {name}")
    assert result.error_in_exec is not None or result.result is None


def test_no_way_to_python_from_inside(sandbox_shell: InteractiveShell) -> None:
    sandbox_shell.user_ns["secret"] = "kept"
    for code in [
        "return python.eval('1')",
        "return python.builtins.open",
        "return py.secret",
        "return rawget(_G, 'python').eval",
        "return debug.getregistry()",
    ]:
        result = sandboxed(sandbox_shell, code)
        assert isinstance(result.error_in_exec, LuaRuntimeError), code
    assert sandbox_shell.user_ns["secret"] == "kept"


def test_string_metatable_is_hidden_and_has_no_dump(sandbox_shell: InteractiveShell) -> None:
    assert value_of(sandbox_shell, "return getmetatable('')") is False
    assert value_of(sandbox_shell, "return ('').dump") is None
    assert value_of(sandbox_shell, "return ('abc'):upper()") == "ABC"


def test_load_takes_text_only(sandbox_shell: InteractiveShell) -> None:
    assert value_of(sandbox_shell, "return load('return 1 + 1')()") == 2
    message = value_of(sandbox_shell, "local f, e = load('\\27Lua\\0garbage') return e")
    assert "binary chunk" in message
    assert value_of(sandbox_shell, "local f, e = load('return 1', 'x', 'b') return f") is None
    assert value_of(sandbox_shell, "return load('return os.execute, io')()") == (None, None)


def test_globals_persist_between_sandboxed_cells_and_reset_clears_them(
    sandbox_shell: InteractiveShell,
) -> None:
    sandboxed(sandbox_shell, "kept = 41").raise_error()
    assert value_of(sandbox_shell, "kept + 1") == 42
    run(sandbox_shell, "%lua_reset --sandbox").raise_error()
    assert value_of(sandbox_shell, "return kept") is None


def test_infinite_loop_hits_the_instruction_budget(sandbox_shell: InteractiveShell) -> None:
    result = sandboxed(sandbox_shell, "local x = 0 while true do x = x + 1 end")
    assert isinstance(result.error_in_exec, SandboxInstructionLimit)
    assert "instruction" in str(result.error_in_exec)
    assert value_of(sandbox_shell, "1 + 1") == 2  # the sandbox still works


def test_a_stopped_sandboxed_cell_names_the_line_it_was_on(
    sandbox_shell: InteractiveShell,
) -> None:
    """The budget's error and the stop button's named no line (the runner's position)."""
    result = sandboxed(sandbox_shell, "local x = 0\nlocal y = 1\nwhile true do x = x + y end")
    error = result.error_in_exec
    assert isinstance(error, SandboxInstructionLimit)
    assert error.location is not None
    assert error.location.line == 4  # the %%lua line counts, as in the editor
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        timer.start()
        result = sandboxed(
            sandbox_shell,
            "local s = string.rep('x', 2^22)\nwhile true do\n  s:find('y')\nend",
        )
    finally:
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert str(result.error_in_exec).startswith(("In[", "<cell"))
    assert ":3: interrupted" in str(result.error_in_exec) or ":4: interrupted" in str(
        result.error_in_exec
    )
    assert value_of(sandbox_shell, "1 + 1") == 2


def test_pcall_cannot_swallow_the_instruction_budget(sandbox_shell: InteractiveShell) -> None:
    code = """
    while true do
      pcall(function() while true do end end)
      xpcall(function() while true do end end, function() while true do end end)
    end
    """
    assert isinstance(sandboxed(sandbox_shell, code).error_in_exec, SandboxInstructionLimit)


def test_a_looping_message_handler_cannot_escape_the_budget(
    sandbox_shell: InteractiveShell,
) -> None:
    # The budget's error, raised in the hook, would call the handler where hooks are off.
    code = "xpcall(function() error('x') end, function(e) while true do end end)"
    assert isinstance(sandboxed(sandbox_shell, code).error_in_exec, SandboxInstructionLimit)
    handled = "return xpcall(function() error('x', 0) end, function(e) return 'handled ' .. e end)"
    assert value_of(sandbox_shell, handled) == (False, "handled x")


def test_finalizers_are_refused(sandbox_shell: InteractiveShell) -> None:
    # Lua runs them with hooks off: no budget would bound them, nor the stop button.
    code = "setmetatable({}, {__gc = function() while true do end end}) collectgarbage()"
    error = sandboxed(sandbox_shell, code).error_in_exec
    assert error is not None and "finalizers (__gc) are not available" in str(error)
    later = "local mt = {} local t = setmetatable({}, mt) mt.__gc = function() G = 1 end"
    value_of(sandbox_shell, later + " t = nil collectgarbage() return G")  # never called
    assert value_of(sandbox_shell, "return G") is None
    assert (
        value_of(
            sandbox_shell, "return getmetatable(setmetatable({}, {__index = {a = 1}})).__index.a"
        )
        == 1
    )


def test_coroutines_cannot_escape_the_hook(sandbox_shell: InteractiveShell) -> None:
    for code in [
        "coroutine.resume(coroutine.create(function() while true do end end))",
        "coroutine.wrap(function() while true do end end)()",
        "local f = function() for i = 1, 100 do end end\n"
        "while true do coroutine.resume(coroutine.create(f)) end",
    ]:
        assert isinstance(sandboxed(sandbox_shell, code).error_in_exec, SandboxInstructionLimit)


def test_huge_strings_hit_the_memory_budget(sandbox_shell: InteractiveShell) -> None:
    result = sandboxed(sandbox_shell, "local s = string.rep('x', 2^30) return #s")
    assert isinstance(result.error_in_exec, SandboxMemoryLimit)
    result = sandboxed(sandbox_shell, "local t = {} for i = 1, 1e8 do t[i] = i end")
    assert isinstance(result.error_in_exec, SandboxMemoryLimit | SandboxInstructionLimit)
    assert value_of(sandbox_shell, "'still' .. ' here'") == "still here"


def test_error_objects_never_run_tostring_on_the_host(sandbox_shell: InteractiveShell) -> None:
    code = "error(setmetatable({}, {__tostring = function() ran = true return 'x' end}))"
    result = sandboxed(sandbox_shell, code)
    assert isinstance(result.error_in_exec, LuaRuntimeError)
    assert "table value" in str(result.error_in_exec)
    assert value_of(sandbox_shell, "return ran") is None


def test_values_come_out_as_plain_copies(sandbox_shell: InteractiveShell) -> None:
    value = value_of(
        sandbox_shell,
        "local t = setmetatable({1, 2, {a = 'b'}}, {__index = function() return 'x' end})"
        " t.self = t t.f = print return t",
    )
    assert value == {1: 1, 2: 2, 3: {"a": "b"}, "self": "<cycle>", "f": "<function>"}


def test_inputs_are_plain_copies_and_objects_are_refused(sandbox_shell: InteractiveShell) -> None:
    sandbox_shell.user_ns.update(data={"n": [1, 2.5, "three"]}, obj=object())
    run(sandbox_shell, "%%lua --sandbox -i data -o out\ndata.n[1] = 99 out = data.n").raise_error()
    assert sandbox_shell.user_ns["data"] == {"n": [1, 2.5, "three"]}
    assert sandbox_shell.user_ns["out"] == [99, 2.5, "three"]
    result = run(sandbox_shell, "%%lua --sandbox -i obj\nreturn obj")
    assert "plain data" in str(result.error_in_exec)


def test_shared_state_and_python_are_untouched(sandbox_shell: InteractiveShell) -> None:
    run(sandbox_shell, "%%lua\nshared = 'main'").raise_error()
    sandbox_shell.user_ns["pyvar"] = [1, 2]
    sandboxed(sandbox_shell, "shared = 'sandbox' pyvar = 3 string.upper = nil").raise_error()
    assert run(sandbox_shell, "%lua shared").result == "main"
    assert run(sandbox_shell, "%lua ('x'):upper()").result == "X"
    assert run(sandbox_shell, "%lua python ~= nil").result is True
    assert sandbox_shell.user_ns["pyvar"] == [1, 2]


def test_luajit20_sandbox_is_refused_clearly(shell: InteractiveShell) -> None:
    if "luajit20" not in RUNTIMES:
        pytest.skip("lupa has no luajit20 here")
    run(shell, "%config LuaMagics.sandbox_runtime = 'luajit20'").raise_error()
    result = sandboxed(shell, "return 1")
    assert isinstance(result.error_in_exec, SandboxUnavailable)
    assert run(shell, "%lua 1 + 1").result == 2


@pytest.mark.kernel
def test_sandbox_in_a_real_kernel() -> None:
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        client.execute_interactive("%load_ext ilupa", timeout=60)
        outputs: list[dict] = []
        reply = client.execute_interactive(
            "%%lua --sandbox\nwhile true do end", timeout=120, output_hook=outputs.append
        )
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "SandboxInstructionLimit"
        outputs.clear()
        reply = client.execute_interactive(
            "%lua --sandbox 20 + 22", timeout=60, output_hook=outputs.append
        )
        assert reply["content"]["status"] == "ok"
        results = [o for o in outputs if o["msg_type"] == "execute_result"]
        assert results[0]["content"]["data"]["text/plain"] == "42"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.mark.parametrize("runtime", SANDBOX_RUNTIMES)
def test_a_sandbox_filled_through_an_old_global_can_still_free_it(runtime: str) -> None:
    """The memory error says to set large globals to nil. A global made by an earlier
    cell (or by `-i`) survives a cell that fills the heap through it, so the next cell
    starts nearly full: it gets room to run (HEADROOM past the budget at most), where
    it was refused before and the sandbox stayed full until a reset."""
    sandbox = SandboxState(runtime, 4 << 20, 10_000_000)
    sandbox.run("hog = {}", "make")
    with pytest.raises(SandboxMemoryLimit):
        sandbox.run("while true do hog = {hog} end", "fill")
    assert sandbox.run("hog = nil collectgarbage() return 'freed'", "free") == ("freed",)
    assert sandbox.lua.get_memory_used() < 1 << 20
    with pytest.raises(SandboxMemoryLimit):  # the budget holds again
        sandbox.run("local t = {} while true do t = {t} end", "refill")


# -- errors read as in plain lupa, placed at the cell's lines ----------------------------------


def test_error_at_level_2_of_a_cell_has_no_position_as_in_plain_lupa(sandbox_shell) -> None:
    """The cell's caller is C in plain lupa: `error(x, 2)` there names no place."""
    result = sandboxed(sandbox_shell, "error('outer', 2)")
    assert isinstance(result.error_in_exec, LuaRuntimeError)
    assert str(result.error_in_exec).splitlines()[0] == "outer"


def test_a_reader_load_cannot_read_fails_as_lua_s_load(sandbox_shell) -> None:
    assert value_of(sandbox_shell, "return load(function() return {} end)") == (
        None,
        "reader function must return a string",
    )
    failed, message = value_of(sandbox_shell, "return load(function() error('no more', 0) end)")
    assert failed is None and message == "no more"


def test_a_bad_load_names_the_cell_line(sandbox_shell) -> None:
    result = sandboxed(sandbox_shell, "local x = 1\nload(nil)")
    first = str(result.error_in_exec).splitlines()[0]
    assert ":3: bad argument #1 to 'load'" in first and "ilupa" not in first


def test_wrapped_setmetatable_and_xpcall_raise_the_builtins_errors(
    sandbox_shell: InteractiveShell,
) -> None:
    # The sandbox's own setmetatable and xpcall: the builtin's message, at the cell's line.
    for code, builtin in [
        ("x = 1\nsetmetatable({})", "setmetatable"),
        ("x = 1\nxpcall(print)", "xpcall"),
    ]:
        error = sandboxed(sandbox_shell, code).error_in_exec
        assert error is not None
        assert f"bad argument #2 to '{builtin}'" in str(error)
        assert ":3:" in str(error)  # the cell's line 2, under the %%lua line
