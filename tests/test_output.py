"""Lua output reaches the cell's output, in order with Python's."""

from __future__ import annotations

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
