"""Lua's own libraries in cells: system and LuaRocks modules, pure Lua and C, on every runtime.

The modules are Debian's (lua-lpeg, lua-cjson, lua-filesystem, lua-socket,
lua-penlight: `.ci/run` installs them) and small ones compiled here against
Debian's Lua headers. Each is used for real in a cell; runtimes are switched
back and forth in one process, as a notebook would.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import lupa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilupa.errors import LuaRuntimeError
from ilupa.lua_libraries.search_paths import LUA_VERSIONS, search_paths_for
from ilupa.runtimes import available_runtimes, load_runtime_module
from ilupa.session import LuaSession
from tests.conftest import run

HERE = Path(__file__).parent / "lua_libraries"
RUNTIMES = available_runtimes()
MULTIARCH = "x86_64-linux-gnu" if sys.maxsize > 2**32 else ""
DEBIAN_C = Path("/usr/lib") / MULTIARCH / "lua"
HEADERS = {"5.1": "/usr/include/lua5.1", "5.4": "/usr/include/lua5.4"}


def has_debian_module(runtime: str, file: str) -> bool:
    return (DEBIAN_C / LUA_VERSIONS[runtime] / file).exists()


def need_debian_module(runtime: str, file: str) -> None:
    if not has_debian_module(runtime, file):
        pytest.skip(f"Debian has no {file} for Lua {LUA_VERSIONS[runtime]} here")


def cell(session: LuaSession, code: str):
    return session.run(code, "In[1]")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """The test's C modules built against Lua 5.1's and 5.4's headers: (version, name) -> .so."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler here")
    out = tmp_path_factory.mktemp("c-modules")
    built = {}
    for version, include in HEADERS.items():
        if not Path(include, "lua.h").exists():
            continue
        for name in ("static_counter", "plain_open"):
            target = out / f"headers-{version.replace('.', '')}" / f"{name}.so"
            target.parent.mkdir(exist_ok=True)
            subprocess.run(
                ["cc", "-shared", "-fPIC", "-O1", f"-I{include}", "-o", str(target), f"{name}.c"],
                cwd=HERE,
                check=True,
            )
            built[version, name] = target
    return built


# -- the bar: plain require of Debian's modules, switching runtimes in one process ----------


def test_pretty_lpeg_and_cjson_load_with_no_setup_across_runtime_switches():
    for runtime in ("lua54", "lua51", "luajit21", "lua54", "luajit21", "lua51"):
        need_debian_module(runtime, "lpeg.so")
        session = LuaSession(runtime, {})
        values = cell(
            session,
            """
            local pretty = require 'pl.pretty'
            local lpeg = require 'lpeg'
            local cjson = require 'cjson'
            local number = lpeg.C(lpeg.R'09'^1) / tonumber
            local list = lpeg.Ct(number * (',' * number)^0)
            local parsed = list:match('3,1,4')
            return pretty.write(parsed, ''), cjson.encode({parsed = parsed})
            """,
        )
        assert values == ("{3,1,4}", '{"parsed":[3,1,4]}'), runtime


# -- each module, for real, on every runtime it exists for ----------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_lpeg_parses_a_grammar(runtime):
    need_debian_module(runtime, "lpeg.so")
    session = LuaSession(runtime, {})
    assert cell(
        session,
        """
        local lpeg = require 'lpeg'
        local space = lpeg.S' '^0
        local key = lpeg.C(lpeg.R('az')^1)
        local value = lpeg.C(lpeg.R('09')^1) / tonumber
        local pair = lpeg.Cg(key * space * '=' * space * value) * space
        local record = lpeg.Cf(lpeg.Ct('') * pair^0, rawset)
        local t = record:match('a = 1 bc=22  d= 333')
        return t.a, t.bc, t.d
        """,
    ) == (1, 22, 333)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_cjson_round_trips_a_table(runtime):
    need_debian_module(runtime, "cjson.so")
    session = LuaSession(runtime, {})
    assert cell(
        session,
        """
        local cjson = require 'cjson'
        local text = cjson.encode({name = 'lua', list = {1, 2.5, 'x'}, nested = {ok = true}})
        local back = cjson.decode(text)
        return back.name, back.list[2], back.list[3], back.nested.ok, #back.list
        """,
    ) == ("lua", 2.5, "x", True, 3)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_lfs_lists_a_folder(runtime, tmp_path):
    need_debian_module(runtime, "lfs.so")
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(name)
    session = LuaSession(runtime, {})
    session.globals.folder = str(tmp_path)
    names = cell(
        session,
        """
        local lfs = require 'lfs'
        local names = {}
        for name in lfs.dir(folder) do
          local mode = lfs.attributes(folder .. '/' .. name, 'mode')
          if mode == 'file' then names[#names + 1] = name end
        end
        table.sort(names)
        return table.concat(names, ',')
        """,
    )
    assert names == ("a.txt,b.txt",)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_socket_binds_a_loopback_port(runtime):
    need_debian_module(runtime, "socket/core.so")
    session = LuaSession(runtime, {})
    host, port = cell(
        session,
        """
        local socket = require 'socket'
        local server = assert(socket.bind('127.0.0.1', 0))
        local host, port = server:getsockname()
        server:close()
        return host, tonumber(port)
        """,
    )
    assert host == "127.0.0.1" and 0 < port < 65536


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_penlight_pretty_prints_data_from_python_by_reference(runtime):
    if not Path("/usr/share/lua", LUA_VERSIONS[runtime], "pl/pretty.lua").exists():
        pytest.skip(f"Debian has no Penlight for Lua {LUA_VERSIONS[runtime]} here")
    words = ["lua", "python"]
    session = LuaSession(runtime, {"words": words})
    text = cell(
        session,
        """
        local pretty = require 'pl.pretty'
        local copy = {}
        for i = 0, #py.words - 1 do copy[#copy + 1] = py.words[i] end
        return pretty.write(copy, '')
        """,
    )
    assert text == ('{"lua","python"}',)


def test_require_returns_the_file_it_loaded_on_lua_5_4():
    session = LuaSession("lua54", {})
    need_debian_module("lua54", "lpeg.so")
    _, file = cell(session, "return require 'lpeg'")
    assert file == str(DEBIAN_C / "5.4" / "lpeg.so")  # the installed file, never ilupa's copy


# -- binding: one instance per runtime, calls reach the caller's runtime ---------------------


def test_a_c_module_with_static_state_has_one_instance_per_runtime(compiled):
    module = compiled.get(("5.1", "static_counter"))
    if module is None:
        pytest.skip("Lua 5.1 headers are not installed")
    results = {}
    for runtime in ("lua51", "luajit20", "luajit21", "lua51", "luajit21"):
        session = LuaSession(runtime, {})
        session.globals.package.cpath = f"{module.parent}/?.so"
        results.setdefault(runtime, []).append(
            cell(session, "local c = require 'static_counter' c.next() return c.next()")
        )
    jit = {
        name: load_runtime_module(name).LuaRuntime().eval("rawget(_G, 'jit') and jit.version")
        for name in results
    }
    # a second state of the same runtime shares that runtime's instance (as in a standalone
    # process with two states); each runtime counts on its own and sees its own `jit`
    assert results == {
        "lua51": [(2, None), (4, None)],
        "luajit20": [(2, jit["luajit20"])],
        "luajit21": [(2, jit["luajit21"]), (4, jit["luajit21"])],
    }


def test_package_loadlib_binds_a_c_module_too(compiled):
    module = compiled.get(("5.4", "static_counter"))
    if module is None:
        pytest.skip("Lua 5.4 headers are not installed")
    session = LuaSession("lua54", {})
    session.globals.path = str(module)
    assert cell(
        session,
        "local open = assert(package.loadlib(path, 'luaopen_static_counter')) return open().next()",
    ) == (1, None)


def test_an_old_state_of_another_runtime_keeps_working_with_its_module():
    need_debian_module("lua54", "lpeg.so")
    need_debian_module("lua51", "lpeg.so")
    first = LuaSession("lua54", {})
    cell(first, "lpeg = require 'lpeg'")
    second = LuaSession("lua51", {})
    cell(second, "lpeg = require 'lpeg'")
    pattern = "return lpeg.match(lpeg.C(lpeg.P'a'^1), 'aaab'), lpeg.version()"
    assert cell(first, pattern)[0] == cell(second, pattern)[0] == "aaa"


# -- modules that must not load: clear errors, the process stays up -------------------------


@pytest.mark.parametrize(
    ("runtime", "other_version"), [("lua51", "5.4"), ("lua54", "5.1"), ("luajit21", "5.3")]
)
def test_a_module_built_for_another_lua_version_is_refused_clearly(runtime, other_version):
    other = DEBIAN_C / other_version / "lpeg.so"
    if not other.exists():
        pytest.skip(f"no lpeg for Lua {other_version}")
    session = LuaSession(runtime, {})
    session.globals.package.cpath = f"{other.parent}/?.so"
    with pytest.raises(LuaRuntimeError) as raised:
        cell(session, "local lpeg = require 'lpeg'")
    message = str(raised.value)
    assert f"error loading module 'lpeg' from file '{other}'" in message
    assert f"built for Lua {other_version}" in message
    assert f"runtime {runtime}" in message and "%lua_rocks install" in message
    assert cell(session, "return 1 + 1") == (2,)


@pytest.mark.parametrize(
    ("runtime", "built_for", "says"),
    [("lua53", "5.4", "lua_newuserdatauv"), ("lua54", "5.1", "built for Lua 5.1 (it calls")],
)
def test_a_copied_module_whose_path_names_no_version_is_refused_by_what_it_calls(
    runtime, built_for, says, tmp_path
):
    source = DEBIAN_C / built_for / "lpeg.so"
    if not source.exists():
        pytest.skip(f"no lpeg for Lua {built_for}")
    shutil.copyfile(source, tmp_path / "lpeg.so")
    session = LuaSession(runtime, {})
    session.globals.package.cpath = f"{tmp_path}/?.so"
    with pytest.raises(LuaRuntimeError, match="error loading module 'lpeg'") as raised:
        cell(session, "require 'lpeg'")
    assert says in str(raised.value)
    assert cell(session, "return 'still here'") == ("still here",)


def test_a_file_that_is_no_shared_object_fails_as_in_lua(tmp_path):
    (tmp_path / "broken.so").write_text("not a library")
    session = LuaSession("lua54", {})
    session.globals.package.cpath = f"{tmp_path}/?.so"
    with pytest.raises(LuaRuntimeError, match="error loading module 'broken' from file"):
        cell(session, "require 'broken'")


# -- the same messages as Lua's own searchers ------------------------------------------------

NAME_PARTS = st.sampled_from(["plain", "sub", "a", "x", "-", ".", "v2"])


@pytest.mark.parametrize("runtime", RUNTIMES)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(NAME_PARTS, min_size=1, max_size=4))
def test_require_of_c_modules_reads_as_in_plain_lupa(runtime, parts, compiled):
    """A library that needs no Lua API loads in plain lupa too: both must say the same."""
    version = "5.1" if LUA_VERSIONS[runtime] == "5.1" else "5.4"
    module = compiled.get((version, "plain_open"))
    if module is None:
        pytest.skip("no headers to build the module")
    folder = module.parent / runtime
    folder.mkdir(exist_ok=True)
    for name in ("plain", "other", "a"):
        if not (folder / f"{name}.so").exists():
            shutil.copyfile(module, folder / f"{name}.so")
    name = "".join(parts)
    code = (
        f"package.cpath = '{folder}/?.so' package.path = '{folder}/?.lua' "
        f"return pcall(require, {name!r})"
    )
    plain = load_runtime_module(runtime).LuaRuntime().execute(code)
    ours = cell(LuaSession(runtime, {}), code)
    assert _comparable(ours) == _comparable(plain)


def _comparable(values):
    return tuple(type(v).__name__ if type(v).__name__.startswith("_Lua") else v for v in values)


# -- where require looks ------------------------------------------------------------------


def test_lua_path_environment_variables_are_read_as_lua_reads_them():
    built_in = "/usr/local/share/lua/5.4/?.lua;./?.lua"
    paths = search_paths_for("lua54", built_in, "./?.so", {"LUA_PATH_5_4": "/mine/?.lua;;"})
    templates = [entry.template for entry in paths.path]
    assert templates[0] == "/mine/?.lua" and "/usr/local/share/lua/5.4/?.lua" in templates
    assert paths.path[0].origin == "environment (LUA_PATH_5_4)"
    # LuaJIT reads only the unversioned name; 5.1 puts the default at every ';;'
    jit = search_paths_for(
        "luajit21",
        built_in,
        "./?.so",
        {"LUA_PATH_5_1": "/no/?.lua", "LUA_PATH": "/a/?.lua;;/b/?.lua"},
    )
    jit_templates = [entry.template for entry in jit.path]
    assert jit_templates[0] == "/a/?.lua" and jit_templates[-1] == "/b/?.lua"
    assert "/no/?.lua" not in jit_templates
    # without a ';;' the variable is the whole path
    alone = search_paths_for("lua54", built_in, "./?.so", {"LUA_PATH": "/only/?.lua"})
    assert [entry.template for entry in alone.path] == ["/only/?.lua"]


def test_a_cell_sees_lua_path_from_the_environment(shell, monkeypatch, tmp_path):
    (tmp_path / "mymod.lua").write_text("return { answer = 42 }")
    monkeypatch.setenv("LUA_PATH_5_4", f"{tmp_path}/?.lua;;")
    run(shell, "%lua_reset lua54").raise_error()
    assert run(shell, "%lua require('mymod').answer").result == 42


def test_the_search_order_puts_luarocks_then_the_distribution_then_the_notebook_folder():
    paths = LuaSession("lua54", {}).search_paths
    origins = [entry.origin for entry in paths.path]
    assert origins[0] == "user LuaRocks tree" and origins[-1] == "notebook folder"
    if Path("/usr/share/lua/5.4").is_dir():
        assert origins.index("distribution") > origins.index("user LuaRocks tree")


def test_lua_path_magic_shows_each_entry_and_where_it_came_from(shell, capsys):
    run(shell, "%lua_reset lua54").raise_error()
    run(shell, "%lua package.path = package.path .. ';/added/?.lua'").raise_error()
    run(shell, "%lua_path").raise_error()
    out = capsys.readouterr().out
    assert "package.path of lua54 (Lua 5.4 trees)" in out
    assert "package.cpath of lua54" in out
    assert "user LuaRocks tree" in out and "notebook folder" in out
    assert "/added/?.lua" in out and "set in Lua" in out


# -- the sandbox ----------------------------------------------------------------------------


def test_the_sandbox_loads_no_module_and_says_why(shell):
    result = run(shell, "%%lua --sandbox\nlocal s = require 'string'\nreturn s == string")
    assert result.result is True
    result = run(shell, "%%lua --sandbox\nrequire 'lpeg'")
    assert "module 'lpeg' cannot be loaded in the sandbox" in str(result.error_in_exec)
    assert str(result.error_in_exec).startswith("In[3]:2: ")


# -- LuaRocks from a notebook -------------------------------------------------------------

ROCKSPEC = """\
package = "{name}"
version = "1.0-1"
source = {{ url = "file://{folder}" }}
build = {{ type = "builtin", modules = {{ {module} = "{file}" }} }}
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("runtime", "file", "module", "check"),
    [
        ("lua54", "greeting.lua", "greeting", "return require('greeting').hello('rocks')"),
        ("luajit21", "greeting.lua", "greeting", "return require('greeting').hello('rocks')"),
        ("lua54", "twice.c", "twice", "return require('twice').twice(21)"),
        ("luajit21", "twice.c", "twice", "return require('twice').twice(21)"),
    ],
)
def test_lua_rocks_make_installs_where_the_live_state_finds_it(
    shell, monkeypatch, tmp_path, runtime, file, module, check
):
    if shutil.which("luarocks") is None:
        pytest.skip("luarocks is not installed")
    if file.endswith(".c") and not Path(HEADERS[LUA_VERSIONS[runtime]], "lua.h").exists():
        pytest.skip("no Lua headers for this version")
    monkeypatch.setenv("HOME", str(tmp_path))  # the user's tree is tmp_path/.luarocks
    source = tmp_path / "src"
    source.mkdir()
    shutil.copyfile(HERE / file, source / file)
    rockspec = source / f"{module}-1.0-1.rockspec"
    rockspec.write_text(ROCKSPEC.format(name=module, folder=source, module=module, file=file))
    run(shell, f"%lua_reset {runtime}").raise_error()
    missing = run(shell, f"%lua pcall(require, '{module}')")
    assert missing.result[0] is False  # not there before the install
    monkeypatch.chdir(source)
    run(shell, f"%lua_rocks make {rockspec}").raise_error()
    expected = "hello, rocks" if module == "greeting" else 42
    assert run(shell, f"%%lua\n{check}").result == expected  # the same state: no restart


def test_lua_rocks_reports_a_failing_command(shell, monkeypatch, tmp_path):
    if shutil.which("luarocks") is None:
        pytest.skip("luarocks is not installed")
    monkeypatch.setenv("HOME", str(tmp_path))
    result = run(shell, "%lua_rocks make /no/such.rockspec")
    assert "luarocks ended with status" in str(result.error_in_exec)


def test_lua_rocks_names_the_live_version(shell, monkeypatch, tmp_path, capfd):
    if shutil.which("luarocks") is None:
        pytest.skip("luarocks is not installed")
    monkeypatch.setenv("HOME", str(tmp_path))
    run(shell, "%lua_reset luajit21").raise_error()
    run(shell, "%lua_rocks list").raise_error()
    out = capfd.readouterr().out
    assert f"--lua-version 5.1 --tree {tmp_path}/.luarocks list" in out


# -- in the kernel --------------------------------------------------------------------------


@pytest.mark.kernel
def test_the_kernel_requires_c_and_pure_lua_modules():
    need_debian_module("luajit21", "lpeg.so")
    from jupyter_client.manager import KernelManager

    import tests.kernel_support  # noqa: F401

    manager = KernelManager(kernel_name="ilupa")
    manager.start_kernel(env={**os.environ, "ILUPA_RUNTIME": "luajit21"})
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        results = []

        def collect(message):
            if message["msg_type"] == "execute_result":
                results.append(message["content"]["data"]["text/plain"])

        code = (
            "local lpeg = require 'lpeg'\n"
            "require('pl.pretty').write({lpeg.match(lpeg.C(1), 'xy')}, '')"
        )
        reply = client.execute_interactive(code, timeout=60, output_hook=collect)
        assert reply["content"]["status"] == "ok"
        assert results == ["'{\"x\"}'"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_plain_lupa_cannot_load_the_same_module(tmp_path):
    """Why any of this is needed: the module's imports find no Lua API in this process."""
    need_debian_module("lua54", "lpeg.so")
    plain = lupa.lua54.LuaRuntime()
    ok, message = plain.execute(
        f"package.cpath = '{DEBIAN_C}/5.4/?.so' return pcall(require, 'lpeg')"
    )
    assert ok is False and "undefined symbol: lua_" in message
    assert not hasattr(ctypes.CDLL(None), "lua_gettop")
