"""Lua output reaches the cell's output, in order with Python's."""

from __future__ import annotations

import re

from ilupa.streams.budget import OutputBudget
from tests.conftest import run


def test_print_reaches_python_stdout(runtime_shell, capsys):
    run(runtime_shell, '%lua print("a", 1, nil, true)').raise_error()
    assert capsys.readouterr().out == "a\t1\tnil\ttrue\n"


def test_io_write_adds_no_newline(runtime_shell, capsys):
    run(runtime_shell, '%lua io.write("x", 2, "y");').raise_error()
    assert capsys.readouterr().out == "x2y"


def test_stdout_and_stderr_streams(shell, capsys):
    run(shell, '%%lua\nio.stdout:write("out\\n")\nio.stderr:write("err\\n")').raise_error()
    captured = capsys.readouterr()
    assert captured.out == "out\n"
    assert captured.err == "err\n"


def test_lua_and_python_output_keep_their_order(runtime_shell, capsys):
    run(runtime_shell, "def shout(word):\n    print('python', word)").raise_error()
    run(
        runtime_shell,
        '%%lua\nprint("lua 1")\npy.shout("2")\nio.write("lua 3\\n")\npy.shout("4")',
    ).raise_error()
    assert capsys.readouterr().out == "lua 1\npython 2\nlua 3\npython 4\n"


def test_io_output_can_switch_to_a_file_and_back(shell, tmp_path, capsys):
    target = tmp_path / "out.txt"
    run(
        shell,
        f'%%lua\nio.output("{target}")\nio.write("to file")\nio.close()\n'
        'io.output(io.stdout)\nio.write("to cell")',
    ).raise_error()
    assert target.read_text() == "to file"
    assert "to cell" in capsys.readouterr().out


def test_bytes_that_are_not_utf8_are_shown_escaped(shell, capsys):
    run(shell, "%lua print('ok ' .. string.char(255))").raise_error()
    assert capsys.readouterr().out == "ok \\255\n"


def test_writing_a_table_is_a_lua_error(shell):
    result = run(shell, "%lua io.write({})")
    assert "string expected, got table" in str(result.error_in_exec)


CUT_NOTE = "[ilupa: output cut here: this run printed more than"


def test_output_past_the_budget_is_cut_with_one_note(runtime_shell, capsys):
    """40 prints of 8 MiB used to be captured whole (320 MiB in the process); now a run
    prints `LuaMagics.output_limit` characters, then one note, and goes on to its end."""
    run(runtime_shell, "%config LuaMagics.output_limit = '1MiB'").raise_error()
    result = run(
        runtime_shell,
        "%%lua\nlocal s = string.rep('x', 2^19)\n"
        "for i = 1, 40 do print(s) io.stderr:write(s) end\nreturn 'finished'",
    )
    result.raise_error()
    assert result.result == "finished"
    captured = capsys.readouterr()
    text = (captured.out + captured.err).replace("'finished'", "")  # the cell's value
    text = re.sub(r"Out\[\d+\]: \n", "", text)
    note = OutputBudget(2**20).note()
    assert text.count(note) == 1
    assert len(text.replace(note, "")) == 2**20  # stdout and stderr share the budget


def test_each_cell_gets_the_whole_budget_again(shell, capsys):
    run(shell, "%config LuaMagics.output_limit = 1000").raise_error()
    run(shell, "%lua io.write(string.rep('a', 1500))").raise_error()
    assert CUT_NOTE in capsys.readouterr().out
    run(shell, "%lua io.write(string.rep('b', 900))").raise_error()
    assert capsys.readouterr().out == "b" * 900
    run(shell, "%config LuaMagics.output_limit = 0").raise_error()  # no limit
    run(shell, "%lua io.write(string.rep('c', 5000))").raise_error()
    assert capsys.readouterr().out == "c" * 5000


def test_the_sandbox_prints_within_the_same_budget(shell, capsys):
    run(shell, "%config LuaMagics.output_limit = 1000").raise_error()
    result = run(
        shell, "%%lua --sandbox\nfor i = 1, 100 do print(string.rep('s', 99)) end\nreturn 1"
    )
    result.raise_error()
    out = capsys.readouterr().out
    assert out.count(CUT_NOTE) == 1
    assert out.startswith(("s" * 99 + "\n") * 10 + OutputBudget(1000).note())
