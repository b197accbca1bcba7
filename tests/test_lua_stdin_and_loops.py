"""io.read goes through Python's input(); loop checks keep line numbers."""

from __future__ import annotations

import builtins

import pytest

from ilupa.session import LuaSession
from ilupa.source.loop_checks import with_loop_checks


def test_io_read_formats_read_lines_from_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each answer is one line of standard input, read by Lua's own io.read."""
    answers = iter(["hello world", "42", "last"])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))
    session = LuaSession("lua54", {})
    # as in a terminal: 'n' leaves the rest of its line ("") for the next line read
    code = "return io.read(5), io.read(), io.read('n'), io.read('*l'), io.read('L')"
    assert session.run(code, "c") == ("hello", " world", 42, "", "last\n")


@pytest.mark.parametrize("runtime", ["lua54", "lua51", "luajit21"])
def test_an_empty_answer_ends_input(monkeypatch: pytest.MonkeyPatch, runtime: str) -> None:
    """A notebook has no Ctrl-D: an empty answer is the end of input; reading goes on after."""
    answers = iter(["one", "two", "", "three", ""])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))
    session = LuaSession(runtime, {})
    everything = "*a" if runtime != "lua54" else "a"
    assert session.run(f"return io.read('{everything}'), io.read(), io.read()", "c") == (
        "one\ntwo\n",
        "three",
        None,
    )


def test_io_stdin_is_lua_s_own_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builtins, "input", lambda prompt="": "typed")
    session = LuaSession("lua54", {})
    assert session.run(
        "return io.type(io.stdin), io.stdin:read(), select(2, io.close(io.stdin))", "c"
    ) == ("file", "typed", "cannot close standard file")


def test_io_lines_stops_at_end_of_input(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["a", "b"])

    def ending_input(prompt: str = "") -> str:
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr(builtins, "input", ending_input)
    session = LuaSession("luajit21", {})
    assert session.run("local s = '' for l in io.lines() do s = s .. l end return s", "c") == (
        "ab",
    )


def test_loop_checks_skip_strings_and_keep_lines() -> None:
    code = 's = "do"\nfor i = 1, 2 do\n  x = i -- do\nend\nrepeat until true'
    rewritten = with_loop_checks(code)
    assert rewritten.count("\n") == code.count("\n")
    assert rewritten.count("(0i)();") == 2
    assert 's = "do"' in rewritten


def test_checks_also_precede_goto_and_tail_calls_only() -> None:
    code = (
        "local function f(n)\n  return f(n)\nend\n"
        "local function g(n) return g(n - 1) + g(n - 2) end\n::top::\nif x then goto top end"
    )
    rewritten = with_loop_checks(code)
    assert rewritten.count("\n") == code.count("\n")
    assert "  do (0i)() end return f(n)\n" in rewritten
    assert "local function g(n) return g(n - 1) + g(n - 2) end" in rewritten
    assert "then do (0i)() end goto top end" in rewritten
