"""The `%%lua`, `%lua` and `%lua_reset` magics over one shared Lua state per shell."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import lupa
from IPython.core.error import UsageError
from IPython.core.magic import (
    Magics,
    line_cell_magic,
    line_magic,
    magics_class,
    needs_local_scope,
    no_var_expand,
)
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Float, Int, TraitError, Unicode, Union, observe, validate

from ilupa.cell_run import CELL
from ilupa.display.reading import RunReader
from ilupa.errors import refuse_surrogates, users_traceback_of
from ilupa.lua_libraries.rocks import RocksFailed, run_rocks
from ilupa.magics.cell_lines import as_luajit_starts_it, first_lua_line, placed_at_line
from ilupa.magics.options import asks_for_help, names_from, split_line_options
from ilupa.memory.budget import default_memory_limit, format_bytes, parse_bytes, parse_share
from ilupa.memory.notify import in_kernel
from ilupa.profiler import Profile, Sampler
from ilupa.profiler.report import SORT_KEYS
from ilupa.retired_state import retire_state
from ilupa.runtimes import RUNTIME_ENV_VAR, RuntimeUnavailable, default_runtime, load_runtime_module
from ilupa.sandbox.cells import run_sandboxed_cell
from ilupa.sandbox.config import SandboxConfig
from ilupa.session import LuaSession
from ilupa.source.cells import ends_with_semicolon, ends_with_write_call, with_trailing_value
from ilupa.streams.budget import DEFAULT_OUTPUT_LIMIT

RESET_WHILE_RUNNING = (
    "%lua_reset (or a runtime change) cannot run while a Lua cell is running: the cell "
    "would lose the state it runs in. Run it in a cell of its own."
)

NO_WORKERS = (
    "--workers runs the cell on every worker of an attached cluster, and none is attached: "
    "`%load_ext ilupa.dask` then `%lua_cluster client` (or ilupa.dask.attach(client))"
)
WORKERS_ALONE = "--workers takes no other option: worker cells exchange no variables"


class WorkerCells(Protocol):
    """Where `%%lua --workers` cells go (ilupa.dask's `LuaCluster`): run on every worker."""

    sources: Mapping[str, str]

    def run_cell(self, code: str, chunk_name: str) -> None: ...


@magics_class
class LuaMagics(SandboxConfig, Magics):
    """Run Lua cells in one Lua state shared by every cell of this IPython shell."""

    runtime = Unicode(
        help=(
            "lupa runtime for the Lua state: lua51, lua52, lua53, lua54, lua55, "
            f"luajit20 or luajit21. Defaults to ${RUNTIME_ENV_VAR}, else luajit21 "
            "where lupa has it, else lua54. Changing it starts a fresh Lua state."
        ),
    ).tag(config=True)

    memory_limit = Union(
        [Int(), Unicode()],
        help=(
            "Lua memory budget: bytes, or a size such as '512MB' or '2GiB'. Past it a cell "
            "fails with LuaMemoryError and the kernel lives. Defaults to half of physical "
            "memory. On luajit20 the fixed ~1 GiB heap is the hard ceiling."
        ),
    ).tag(config=True)

    output_limit = Union(
        [Int(), Unicode()],
        default_value=DEFAULT_OUTPUT_LIMIT,
        help=(
            "Text one run may print (stdout and stderr together, sandboxed cells too): "
            "characters, or a size such as '16MiB'. Past it the output is cut with a note "
            "and the rest dropped; the cell goes on. 0 means no limit."
        ),
    ).tag(config=True)

    memory_warning = Float(
        0.75,
        help="Share of the memory budget at which ilupa warns, while the cell runs.",
    ).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        self._session: LuaSession | None = None
        self._last_copy: tuple[str, int] = ("", 1)  # where the search for a free chunk name resumes
        self._raw_cell: str | None = None  # the running cell as typed, to count lines as the editor
        self.workers: WorkerCells | None = None  # set by ilupa.dask.attach
        super().__init__(shell=shell, **kwargs)
        if shell is not None:
            shell.events.register("pre_run_cell", self._remember_raw_cell)

    def _remember_raw_cell(self, info: Any) -> None:
        self._raw_cell = getattr(info, "raw_cell", None)

    def forget_events(self) -> None:
        """Unregister the shell event this object listens to (when the extension unloads)."""
        self.shell.events.unregister("pre_run_cell", self._remember_raw_cell)

    def _runtime_default(self) -> str:
        return default_runtime()

    @validate("runtime")
    def _check_runtime(self, proposal: dict[str, Any]) -> str:
        if self._lua_running:
            raise TraitError(RESET_WHILE_RUNNING)
        try:
            load_runtime_module(proposal["value"])
        except RuntimeUnavailable as error:
            raise TraitError(str(error)) from None
        return proposal["value"]

    def _memory_limit_default(self) -> int:
        return default_memory_limit()

    @validate("memory_limit")
    def _check_memory_limit(self, proposal: dict[str, Any]) -> int:
        try:
            limit = parse_bytes(proposal["value"])
        except ValueError as error:
            raise TraitError(str(error)) from None
        if limit <= 0:
            raise TraitError("memory_limit must be positive")
        self._refuse_limit_below_usage(limit)
        return limit

    def _refuse_limit_below_usage(self, limit: int) -> None:
        """A budget below what Lua holds now would fail every later cell: say so, and the fix."""
        if self._session is None:
            return
        memory = self._session.memory
        used = memory.used()
        if limit > used:
            return
        try:
            tables = memory.largest_tables()[:3]
        except Exception:  # the report is a courtesy
            tables = []
        largest = "; largest tables: " + ", ".join(t.path for t in tables) if tables else ""
        raise TraitError(
            f"memory_limit {format_bytes(limit)} is below the {format_bytes(used)} Lua uses now: "
            "every later cell would fail with a memory error. Free memory first (set large "
            f"globals to nil{largest}; or %lua_reset), or choose a limit above "
            f"{format_bytes(used)}. The budget stays {format_bytes(memory.limit)}."
        )

    @validate("output_limit")
    def _check_output_limit(self, proposal: dict[str, Any]) -> int:
        try:
            limit = parse_bytes(proposal["value"])
        except ValueError as error:
            raise TraitError(str(error)) from None
        if limit < 0:
            raise TraitError("output_limit must be 0 (no limit) or positive")
        return limit

    @observe("output_limit")
    def _output_limit_changed(self, change: dict[str, Any]) -> None:
        limit = change["new"] or None
        if self._session is not None:
            self._session.streams.budget.limit = limit
        if self._sandbox is not None:
            self._sandbox.output.limit = limit

    @validate("memory_warning")
    def _check_memory_warning(self, proposal: dict[str, Any]) -> float:
        try:
            return parse_share(proposal["value"])
        except ValueError as error:
            raise TraitError(str(error)) from None

    @observe("memory_limit")
    def _memory_limit_changed(self, change: dict[str, Any]) -> None:
        if self._session is not None:
            self._session.memory.set_limit(change["new"])

    @observe("memory_warning")
    def _memory_warning_changed(self, change: dict[str, Any]) -> None:
        if self._session is not None:
            self._session.memory.set_warning_share(change["new"])

    @observe("runtime")
    def _runtime_changed(self, change: dict[str, Any]) -> None:
        if self._session is not None and change["old"] != change["new"]:
            self.reset()

    # -- the state ------------------------------------------------------------

    @property
    def session(self) -> LuaSession:
        """The shared Lua state, created on first use."""
        if self._session is None:
            self._session = LuaSession(
                self.runtime,
                self.shell.user_ns,
                memory_limit=self.memory_limit,
                memory_warning=self.memory_warning,
                output_limit=self.output_limit,
            )
        return self._session

    @property
    def _lua_running(self) -> bool:
        """True while the shared state runs Lua for the user (ilupa/cell_run.py)."""
        return self._session is not None and self._session.cell_run.running

    def display_reader_owning(self, value: Any) -> RunReader | None:
        """The display reader of the live state when `value` (a lupa object) may be its own.

        Objects of another runtime module belong to no live state: None.
        """
        session = self._session
        if session is None or type(value).__module__ != session.module.__name__:
            return None
        return session.display_reader

    def reset(self) -> LuaSession:
        """Replace the Lua state with a fresh one on the configured runtime.

        Refused while a Lua cell runs: the cell would go on in a state that is
        gone, and every global it had would be lost with it.
        """
        if self._lua_running:
            raise UsageError(RESET_WHILE_RUNNING)
        retired, self._session = self._session, None
        if retired is not None:
            retired.close()  # the FFI boxes' references (LuaJIT), before the state retires
            retire_state(retired.lua)
        session = self.session
        print(f"Fresh Lua state: {session.version} (runtime {session.runtime_name})")
        return session

    def run_lua(
        self, code: str, *, display_value: bool = True, first_line: int = 1, cell: bool = True
    ) -> Any:
        """Run a Lua cell; return its value the way a Python cell shows its last expression.

        `first_line` is the line of the cell (as the editor numbers it) where `code`
        starts; Lua's messages and tracebacks then name the editor's lines. A cell
        (`cell`) is a chunk, whose start LuaJIT reads by its own rules (a `#` first
        line is skipped); `%lua EXPR` is an expression, like lupa's `eval`, so
        `%lua #t` is the length of `t`.
        """
        __tracebackhide__ = True
        session = self.session
        name = self._chunk_name()
        refuse_surrogates(
            placed_at_line(code, first_line, skips_hash_line=False), name, session.sources
        )
        skips_hash_line = session.runtime_name.startswith("luajit")
        runnable = as_luajit_starts_it(code) if skips_hash_line and cell else code
        runnable = with_trailing_value(runnable, session.compiles) or runnable
        runnable = placed_at_line(runnable, first_line, skips_hash_line=skips_hash_line)
        source = placed_at_line(code, first_line, skips_hash_line=False)
        values = session.run(runnable, name, source=source)
        if not display_value or ends_with_semicolon(code) or not values:
            return None
        if len(values) == 1 and (
            session.is_standard_stream(values[0])
            or (values[0] is True and ends_with_write_call(code))
        ):
            return None  # the cell ended in io.write(...): its output is the point
        return values[0] if len(values) == 1 else values

    def _chunk_name(self, sources: Any = None) -> str:
        # IPython 9 counts the running cell before it runs it.
        base = f"In[{max(self.shell.execution_count - 1, 0)}]"
        known = self.session.sources if sources is None else sources
        copy = self._last_copy[1] if self._last_copy[0] == base else 1
        name = base if copy == 1 else f"{base}#{copy}"
        while name in known:  # cells run outside history all share one count
            copy += 1
            name = f"{base}#{copy}"
        self._last_copy = (base, copy)
        return name

    # -- magics -----------------------------------------------------------------

    @magic_arguments()
    @argument(
        "-i",
        "--input",
        action="append",
        metavar="NAME[,NAME]",
        help="Python variables to pass into Lua as globals of the same name, by reference.",
    )
    @argument(
        "-o",
        "--output",
        action="append",
        metavar="NAME[,NAME]",
        help="Lua globals to bind in the Python namespace after the cell ran.",
    )
    @argument(
        "-c",
        "--copy",
        action="append",
        metavar="NAME[,NAME]",
        help=(
            "Python variables to copy into Lua as tables (recursively), after an estimate: "
            "refused when the copy would not fit the Lua memory budget."
        ),
    )
    @argument(
        "-n", "--noreturn", action="store_true", help="Do not show or return the cell's value."
    )
    @argument("--version", action="store_true", help="Print which Lua runtime is live.")
    @argument(
        "--sandbox",
        action="store_true",
        help=(
            "Run in the sandboxed Lua state for untrusted code: no Python access, no os/io, "
            "memory and instruction budgets; -i and -o copy plain data."
        ),
    )
    @argument(
        "--workers",
        action="store_true",
        help=(
            "Run on every worker of the attached Dask cluster (and on workers that join "
            "later), not here; see ilupa.dask."
        ),
    )
    @argument(
        "--profile",
        action="store_true",
        help=(
            "Run as usual, then show where the time went: lines and functions by share of "
            "samples (LuaJIT: jit.profile, and the trace aborts with their reasons)."
        ),
    )
    @needs_local_scope
    @no_var_expand
    @line_cell_magic
    def lua(
        self, line: str, cell: str | None = None, local_ns: dict[str, Any] | None = None
    ) -> Any:
        """Run Lua code in the shared Lua state.

        As a cell magic (`%%lua`) the whole cell is Lua; as a line magic
        (`%lua EXPR`) the rest of the line is, and its value can be assigned:
        `x = %lua 1 + 2`. The value of a trailing expression is the result; a
        trailing `;` hides it. Lua errors raise `ilupa.LuaError`.
        """
        __tracebackhide__ = True
        if cell is None:
            option_words, code = split_line_options(line)
            first_line = 1  # `%lua` code is one line: its errors name line 1
        else:
            option_words, code = line, cell
            first_line = first_lua_line(self._raw_cell, code)
        if asks_for_help(option_words):
            print(self.lua.parser.format_help())
            return None
        args = parse_argstring(self.lua, option_words)
        if args.version:
            session = self.session
            print(f"{session.version} (runtime {session.runtime_name}, lupa {lupa.__version__})")
            print(f"references: {session.proxy.references_path}")
            return None
        if args.profile and (args.workers or args.sandbox):
            raise UsageError(
                "--profile profiles the shared state only: not with --sandbox or --workers"
            )
        if args.workers:
            return self._run_on_workers(code, args)
        if args.sandbox:
            names = names_from(args.input, "-i")
            sandbox = self.sandbox
            luajit = sandbox.runtime_name.startswith("luajit")
            placed = placed_at_line(code, first_line, skips_hash_line=luajit)
            name = self._chunk_name(sandbox.sources)
            refuse_surrogates(placed, name, sandbox.sources)
            return run_sandboxed_cell(
                sandbox,
                placed,
                name,
                inputs={name: self._python_value(name, local_ns or {}, "-i") for name in names},
                outputs=names_from(args.output, "-o"),
                copies=names_from(args.copy, "-c"),
                display_value=not args.noreturn,
                bind=self.shell.push,
            )
        # One cell run from inputs to outputs: nothing here touches lupa (whose
        # lock a Python thread running Lua may hold) before the run is entered,
        # so the stop button can end that thread's Lua while this cell waits.
        inputs, copies = names_from(args.input, "-i"), names_from(args.copy, "-c")
        outputs = names_from(args.output, "-o")  # refused before the cell runs
        if args.profile:
            profile, result = self._profiled(
                lambda: self._run_cell(
                    code, args, inputs, copies, outputs, first_line, cell, local_ns
                )
            )
            self._show_profile(profile)
            return result
        return self._run_cell(code, args, inputs, copies, outputs, first_line, cell, local_ns)

    def _run_cell(
        self,
        code: str,
        args: Any,
        inputs: list[str],
        copies: list[str],
        outputs: list[str],
        first_line: int,
        cell: str | None,
        local_ns: dict[str, Any] | None,
    ) -> Any:
        __tracebackhide__ = True
        try:
            with self.session.cell_run.entered(CELL):
                self._pass_inputs(inputs, local_ns or {})
                self._copy_inputs(copies, local_ns or {})
                result = self.run_lua(
                    code,
                    display_value=not args.noreturn,
                    first_line=first_line,
                    cell=cell is not None,
                )
                self._bind_outputs(outputs)
        except Exception as error:  # a Python error from Lua: the user's frames only
            raise users_traceback_of(error) from error.__cause__
        return result

    # -- profiling ----------------------------------------------------------------

    def sampler(self) -> Sampler:
        """The profiler of the live state (made on first use: no cost before)."""
        session = self.session
        sampler = getattr(session, "sampler", None)
        if sampler is None:
            sampler = session.sampler = Sampler(session)
        return sampler

    def _profiled(self, run: Any, exact_lines: bool = False) -> tuple[Profile | None, Any]:
        """Run `run()` under the sampler; the profile (None if it could not be read) and value.

        A run that fails still shows its profile before the error propagates.
        """
        __tracebackhide__ = True
        sampler = self.sampler()
        got: list[Profile] = []
        try:
            with sampler.sampling(exact_lines) as got:
                result = run()
        except BaseException:
            if got:
                self._show_profile(got[0])
            raise
        return (got[0] if got else None), result

    @staticmethod
    def _show_profile(profile: Profile | None) -> None:
        if profile is None:
            return
        if in_kernel():
            from IPython.display import display

            display(profile)
        else:
            print(profile.text())

    @magic_arguments()
    @argument("-s", "--sort", default="share", choices=SORT_KEYS, help="Row order (share first).")
    @argument("-l", "--limit", type=int, default=20, help="Rows shown per table (0: all).")
    @argument("-T", "--text-file", metavar="FILE", help="Also write the text report to FILE.")
    @argument("-D", "--dump", metavar="FILE", help="Also write the whole profile as JSON to FILE.")
    @argument("-q", "--quiet", action="store_true", help="Show nothing (with -r, -T or -D).")
    @argument("-r", "--return-profile", action="store_true", help="Return the Profile object.")
    @argument(
        "--lines",
        action="store_true",
        help=(
            "LuaJIT: sample at every line, not at function boundaries (exact lines; "
            "compiled loops run slower while profiled). PUC Lua always samples any line."
        ),
    )
    @argument("code", nargs="*", help="Lua statements to run and profile (a chunk).")
    @no_var_expand
    @line_cell_magic
    def lua_profile(self, line: str, cell: str | None = None) -> Any:
        """Profile Lua code as IPython's %prun profiles Python: `%lua_profile [-s KEY] [-l N] CODE`.

        The line's CODE (or, as `%%lua_profile`, the cell) runs as a Lua chunk in the
        shared state, as `%%lua` runs it; then the report shows where its time went
        (lines and functions by share; on LuaJIT also the trace aborts). -s sorts by
        share, place or name; -l limits the rows; -T writes the text and -D the JSON
        of the profile to a file; -r returns the Profile; -q shows nothing; --lines
        samples LuaJIT at every line (`%%lua --profile` samples at function boundaries
        there, which costs nothing measurable).
        """
        __tracebackhide__ = True
        args = parse_argstring(self.lua_profile, line)
        code = cell if cell is not None else " ".join(args.code)
        if not code.strip():
            raise UsageError("%lua_profile takes Lua code: %lua_profile for i = 1, 1e6 do end")
        first_line = first_lua_line(self._raw_cell, code) if cell is not None else 1

        def run() -> Any:
            with self.session.cell_run.entered(CELL):
                return self.run_lua(code, display_value=False, first_line=first_line)

        try:
            profile, _ = self._profiled(run, exact_lines=args.lines)
        except Exception as error:
            raise users_traceback_of(error) from error.__cause__
        if profile is None:
            return None
        profile = profile.sorted_by(args.sort).limited(args.limit or None)
        if args.text_file:
            with open(args.text_file, "w", encoding="utf-8") as file:
                file.write(profile.limited(None).text() + "\n")
        if args.dump:
            with open(args.dump, "w", encoding="utf-8") as file:
                file.write(profile.to_json())
        if not args.quiet:
            self._show_profile(profile)
        return profile if args.return_profile else None

    @line_magic
    def lua_reset(self, line: str) -> None:
        """Start a fresh Lua state: `%lua_reset` or `%lua_reset luajit21` to switch runtime.

        Every Lua global is dropped; Python variables are untouched.
        `%lua_reset --sandbox` starts a fresh sandbox and leaves the shared state alone.
        """
        requested = line.strip()
        if requested == "--sandbox":
            self.reset_sandbox()
            return
        if requested and requested != self.runtime:
            try:
                self.runtime = requested  # the observer starts the fresh state
            except TraitError as error:
                raise UsageError(str(error)) from None
            if self._session is None:
                self.reset()
            return
        self.reset()

    @line_magic
    def lua_memory(self, line: str) -> None:
        """Lua memory: usage, budget, warning share, largest tables; a live gauge in notebooks."""
        memory = self.session.memory
        # One reading for both: finding the largest tables moves Lua's memory.
        used = memory.used()
        print(memory.summary(used).text)
        if in_kernel():
            from IPython.display import display

            display(memory.gauge(used).widget)

    @line_magic
    def lua_path(self, line: str) -> None:
        """Where `require` looks in the live state: package.path and package.cpath, entry by entry.

        Each entry says where it came from (LUA_PATH_5_x / LUA_PATH, the user's or the
        system's LuaRocks tree, the distribution's Lua folders, the notebook folder, or
        set in Lua by a cell). docs/lua-libraries.md explains the order.
        """
        session = self.session
        package = session.globals.package
        print(session.search_paths.describe(str(package.path), str(package.cpath)))

    @line_magic
    def lua_rocks(self, line: str) -> None:
        """LuaRocks for the live runtime's Lua version, into the user's tree.

        `require` finds what it installs at once (the user's tree is on every state's
        search path). Any luarocks command works: `%lua_rocks make my.rockspec`,
        `%lua_rocks list`, `%lua_rocks remove NAME`.
        """
        if not line.strip():
            raise UsageError("%lua_rocks takes a luarocks command: %lua_rocks install NAME")
        try:
            run_rocks(self.session.runtime_name, line)
        except RocksFailed as failure:
            raise UsageError(str(failure)) from None

    def _run_on_workers(self, code: str, args: Any) -> None:
        __tracebackhide__ = True
        if self.workers is None:
            raise UsageError(NO_WORKERS)
        if args.input or args.output or args.copy or args.sandbox:
            raise UsageError(WORKERS_ALONE)
        self.workers.run_cell(code, self._chunk_name(self.workers.sources))

    def _copy_inputs(self, names: list[str], local_ns: dict[str, Any]) -> None:
        """Copy Python variables into Lua globals as `ilupa.copy` does (shared references kept,
        arrays as numbers): estimated together, made in one copy room, bound only when all fit.
        """
        names = list(dict.fromkeys(names))
        if not names:
            return
        values = {
            f"Python variable {name!r}": self._python_value(name, local_ns, "-c") for name in names
        }
        copies = self.session.proxy.copy_many_to_lua(values)
        lua_globals = self.session.globals
        for name, copy in zip(names, copies.values(), strict=True):
            lua_globals[name] = copy

    def _python_value(self, name: str, local_ns: dict[str, Any], option: str) -> Any:
        if name in local_ns:
            return local_ns[name]
        if name in self.shell.user_ns:
            return self.shell.user_ns[name]
        raise UsageError(f"{option} {name}: no Python variable named {name!r}")

    def _pass_inputs(self, names: list[str], local_ns: dict[str, Any]) -> None:
        if not names:
            return
        lua_globals = self.session.globals
        for name in names:
            if name in local_ns:
                lua_globals[name] = self.session.proxy.to_lua(local_ns[name])
            elif name in self.shell.user_ns:
                lua_globals[name] = self.session.proxy.to_lua(self.shell.user_ns[name])
            else:
                raise UsageError(f"-i {name}: no Python variable named {name!r}")

    def _bind_outputs(self, names: list[str]) -> None:
        session = self.session
        lua_globals = session.globals
        with session.cell_run.entered("bringing Lua globals to Python (-o)"):
            values = {name: session.to_python(lua_globals[name]) for name in names}
        self.shell.push(values)
