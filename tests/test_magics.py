"""The %%lua / %lua / %lua_reset magics in a real IPython shell."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from ilupa.runtimes import RUNTIME_ENV_VAR
from tests.conftest import RUNTIMES, lua_magics, make_shell, run


def test_load_ext_registers_the_three_magics(shell):
    assert shell.find_cell_magic("lua") is not None
    assert shell.find_line_magic("lua") is not None
    assert shell.find_line_magic("lua_reset") is not None


def test_unload_ext_removes_the_magics(shell):
    run(shell, "%unload_ext ilupa").raise_error()
    assert shell.find_cell_magic("lua") is None
    assert shell.find_line_magic("lua") is None
    assert shell.find_line_magic("lua_reset") is None
    assert "LuaMagics" not in [type(c).__name__ for c in shell.configurables]


def test_globals_persist_from_cell_to_cell(runtime_shell):
    run(runtime_shell, "%%lua\ncounter = 41").raise_error()
    run(runtime_shell, "%%lua\ncounter = counter + 1").raise_error()
    assert run(runtime_shell, "%lua counter").result == 42


def test_locals_stay_inside_their_cell(shell):
    run(shell, "%%lua\nlocal hidden = 1\nvisible = 2").raise_error()
    assert run(shell, "%lua hidden").result is None
    assert run(shell, "%lua visible").result == 2


def test_last_expression_is_the_cell_result(runtime_shell):
    result = run(runtime_shell, "%%lua\nx = 20\nx + 1")
    result.raise_error()
    assert result.result == 21
    assert runtime_shell.user_ns["_"] == 21
    assert runtime_shell.user_ns["Out"][result.execution_count] == 21


def test_multi_line_expression_is_the_cell_result(shell):
    result = run(shell, "%%lua\nlocal t = {}\nt.a = 5\n(\n  t.a\n  * 2\n)")
    assert result.result == 10


def test_expression_after_semicolon_on_one_line_is_the_result(shell):
    assert run(shell, "%lua y = 3; y * 3").result == 9


def test_a_trailing_comment_does_not_hide_the_value(shell):
    assert run(shell, "%%lua\n1 + 1 -- two\n--[[ the end ]]").result == 2


def test_trailing_semicolon_silences_the_value(shell, capsys):
    result = run(shell, "%%lua\nsilenced = 7\nsilenced;")
    assert result.result is None
    assert "7" not in capsys.readouterr().out


def test_silenced_expression_still_runs(shell):
    run(shell, "%%lua\ncalls = 0\nfunction bump() calls = calls + 1 return calls end").raise_error()
    run(shell, "%lua bump();").raise_error()
    assert run(shell, "%lua calls").result == 1


def test_statement_cell_has_no_value(shell):
    result = run(shell, "%%lua\nz = 1")
    assert result.success and result.result is None


def test_explicit_return_is_the_value(shell):
    assert run(shell, "%%lua\nlocal a = 4\nreturn a * a").result == 16


def test_several_values_come_back_as_a_tuple(shell):
    assert run(shell, '%lua string.find("hello", "ll")').result == (3, 4)


def test_line_magic_value_can_be_assigned(runtime_shell):
    run(runtime_shell, "x = %lua 1 + 2").raise_error()
    assert runtime_shell.user_ns["x"] == 3


def test_line_magic_takes_code_that_looks_like_options(shell):
    assert run(shell, "%lua -5 + 1").result == -4


def test_no_variable_expansion_in_lua_code(shell):
    shell.user_ns["a"] = "python"
    result = run(shell, '%lua ({a = "lua"}).a .. "$a"')
    assert result.result == "lua$a"


@pytest.mark.parametrize(
    ("lua", "python"),
    [
        ("42", 42),
        ("1.5", 1.5),
        ('"text"', "text"),
        ("true", True),
        ("false", False),
        ("nil", None),
    ],
)
def test_lua_scalars_become_python_values(runtime_shell, lua, python):
    value = run(runtime_shell, f"%lua {lua}").result
    assert value == python
    assert type(value) is type(python)


def test_tables_stay_lua_objects_python_can_index_and_iterate(runtime_shell):
    table = run(runtime_shell, "%lua {10, 20, name = 'n'}").result
    assert table[1] == 10
    assert table["name"] == "n"
    assert sorted(table.keys(), key=str) == [1, 2, "name"]


def test_lua_functions_are_python_callables(runtime_shell):
    square = run(runtime_shell, "%lua function(v) return v * v end").result
    assert square(7) == 49


def test_lua_table_shows_its_contents_as_text(shell, capsys):
    run(shell, "%lua {1, 2, key = 'v'}").raise_error()
    assert '{1, 2, key = "v"}' in capsys.readouterr().out


def test_input_passes_a_python_list_by_reference(runtime_shell):
    items = [1, 2]
    runtime_shell.user_ns["items"] = items
    run(runtime_shell, "%%lua -i items\nitems[0] = 'changed in Lua'").raise_error()
    assert runtime_shell.user_ns["items"] is items
    assert items == ["changed in Lua", 2]


def test_input_takes_several_names(shell):
    shell.user_ns.update(first=[1], second={"k": "v"})
    result = run(shell, "%%lua -i first,second\nreturn first[0], second.k")
    assert result.result == (1, "v")


def test_input_repeated_option(shell):
    shell.user_ns.update(a=1, b=2)
    assert run(shell, "%%lua -i a -i b\na + b").result == 3


def test_input_of_unknown_variable_is_a_usage_error(shell):
    result = run(shell, "%%lua -i missing\nreturn 1")
    assert isinstance(result.error_in_exec, UsageError)
    assert "missing" in str(result.error_in_exec)


def test_input_sees_the_local_scope_of_a_calling_function(shell):
    run(
        shell,
        "def call_lua():\n"
        "    local_list = [5]\n"
        "    return get_ipython().run_line_magic('lua', '-i local_list local_list[0]')\n",
    ).raise_error()
    assert run(shell, "call_lua()").result == 5


def test_output_binds_lua_globals_in_python(runtime_shell):
    run(runtime_shell, "%%lua -o answer,greeting\nanswer = 6 * 7\ngreeting = 'hi'").raise_error()
    assert runtime_shell.user_ns["answer"] == 42
    assert runtime_shell.user_ns["greeting"] == "hi"


def test_output_of_a_table_keeps_it_a_lua_table(shell):
    run(shell, "%%lua -o t\nt = {1, 2, 3}").raise_error()
    assert len(shell.user_ns["t"]) == 3


def test_noreturn_hides_the_value(shell):
    result = run(shell, "%%lua -n\n1 + 1")
    assert result.success and result.result is None


def test_help_lists_every_option(shell):
    doc = shell.find_cell_magic("lua").__doc__
    for option in ("--input", "--output", "--noreturn", "--version"):
        assert option in doc


@pytest.mark.parametrize("name", ["t.x", "a-b", "1abc", "class"])
@pytest.mark.parametrize("option", ["-o", "-i", "-c"])
def test_names_that_are_no_python_identifiers_are_refused(shell, option, name):
    """`-o t.x` used to bind a namespace key no Python code can read as a variable;
    nothing runs when a name is refused (the global below stays unset)."""
    result = run(shell, f"%%lua {option} {name}\nnot_run = true")
    assert isinstance(result.error_in_exec, UsageError)
    assert f"{option} {name}: not a Python variable name" in str(result.error_in_exec)
    assert name not in shell.user_ns
    assert run(shell, "%lua not_run").result is None


@pytest.mark.parametrize("cell", ["%lua -h", "%lua --help", "%%lua -h\nran = true"])
def test_help_option_prints_the_options_and_runs_nothing(shell, capsys, cell):
    result = run(shell, cell)
    assert result.success, result.error_in_exec
    out = capsys.readouterr().out
    assert "--output" in out and "--sandbox" in out
    assert run(shell, "%lua ran").result is None


def test_version_names_the_live_runtime(runtime_shell, capsys):
    run(runtime_shell, "%lua --version").raise_error()
    session = lua_magics(runtime_shell).session
    out = capsys.readouterr().out
    assert session.runtime_name in out
    assert session.version in out


def test_reset_drops_lua_globals_and_keeps_python_variables(shell):
    run(shell, "%lua kept_in_lua = 1").raise_error()
    shell.user_ns["kept_in_python"] = 2
    run(shell, "%lua_reset").raise_error()
    assert run(shell, "%lua kept_in_lua").result is None
    assert shell.user_ns["kept_in_python"] == 2


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_reset_switches_runtime(shell, runtime):
    run(shell, f"%lua_reset {runtime}").raise_error()
    assert lua_magics(shell).session.runtime_name == runtime
    assert run(shell, "%lua _VERSION").result.startswith("Lua 5.")


def test_config_runtime_switches_the_state(shell):
    run(shell, "%lua before = 1").raise_error()
    run(shell, '%config LuaMagics.runtime = "lua53"').raise_error()
    assert run(shell, "%lua _VERSION").result == "Lua 5.3"
    assert run(shell, "%lua before").result is None


def test_unknown_runtime_is_refused_clearly(shell):
    result = run(shell, "%lua_reset lua99")
    assert isinstance(result.error_in_exec, UsageError)
    assert "lua54" in str(result.error_in_exec)
    assert lua_magics(shell).runtime != "lua99"


def test_environment_variable_sets_the_default_runtime(monkeypatch):
    monkeypatch.setenv(RUNTIME_ENV_VAR, "lua52")
    shell = make_shell()
    assert lua_magics(shell).runtime == "lua52"
    assert run(shell, "%lua _VERSION").result == "Lua 5.2"


def test_default_runtime_is_luajit21_here(monkeypatch):
    monkeypatch.delenv(RUNTIME_ENV_VAR, raising=False)
    shell = make_shell()
    assert lua_magics(shell).runtime == "luajit21"
    assert lua_magics(shell).session.version == "LuaJIT 2.1"
