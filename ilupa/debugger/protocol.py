"""The Jupyter debug protocol (DAP over the control channel) for Lua cells of the ilupa kernel.

JupyterLab's debugger speaks the Debug Adapter Protocol to the kernel in
`debug_request` messages on the control channel and listens for `debug_event`
messages on IOPub. ipykernel answers them with debugpy, for Python; this
answers them for Lua, with a line hook in the live state (debugger.lua).

Two threads meet here. Requests arrive on the control thread, which must
never touch the Lua state: the main thread may be running Lua. So:

- what needs no Lua (initialize, attach, setBreakpoints, dumpCell, source,
  debugInfo, threads, configurationDone) is answered on the control thread;
  breakpoints reach Lua before the next cell runs (`before_chunk`, main
  thread) and at each stop;
- at a stop, the main thread is inside the hook (`paused`) and serves the
  requests that read Lua (stackTrace, scopes, variables, evaluate) from a
  queue the control thread fills, until one says how to go on (continue,
  next, stepIn, stepOut, disconnect). SIGINT (the stop button) ends a stop:
  the wait raises KeyboardInterrupt like any Python code Lua called.

Cells are named for the frontend as JupyterLab names them: the murmur2 hash
of the cell's code under `debugInfo`'s prefix and suffix (ipykernel's own
hash and temporary folder), so breakpoints set in a cell's gutter name the
file a stop reports.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import os
import queue
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ipykernel.compiler import get_tmp_directory, get_tmp_hash_seed, murmur2_x86
from IPython.core.interactiveshell import InteractiveShell

from ilupa.display.html import lua_table_html
from ilupa.display.reading import RawReader, reading_with

THREAD_ID = 1
SUFFIX = ".lua"
WAIT_SECONDS = 0.1  # a stop's wait for a request: short, so SIGINT handlers run
MAX_FIELDS = 300  # fields of a table the variables view lists
GO_ON = {"continue", "next", "stepIn", "stepOut"}
NEEDS_LUA = {"stackTrace", "scopes", "variables", "evaluate", "richInspectVariables"}
UNCAUGHT = "uncaught"
CAPABILITIES = {
    "supportsConfigurationDoneRequest": True,
    "supportsEvaluateForHovers": True,
    "supportsConditionalBreakpoints": True,
    "supportsHitConditionalBreakpoints": True,
    "supportsSetVariable": False,
    "supportsStepBack": False,
    "supportsDelayedStackTraceLoading": False,
    "exceptionBreakpointFilters": [
        {"filter": UNCAUGHT, "label": "Uncaught Lua errors", "default": False}
    ],
}
HIT_CONDITION = re.compile(r"\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*$")
# JupyterLab's variables tree shows the value only of the types it knows from Python
# (int, float, bool, str) and the type's name for any other: Lua's scalars are named
# so there. A number JavaScript would misread (inf, nan, past 2^53) keeps Lua's name.
PANEL_TYPES = {"boolean": "bool", "string": "str"}
INTEGER_TEXT = re.compile(r"-?\d+")
EXACT_IN_JAVASCRIPT = 2**53


def cell_path(code: str) -> str:
    """The file JupyterLab names a cell of `code` by (debugInfo's hash, prefix, suffix)."""
    return f"{get_tmp_directory()}{os.sep}{murmur2_x86(code, get_tmp_hash_seed())}{SUFFIX}"


def response(request: dict[str, Any], body: Any = None, message: str | None = None) -> dict:
    """A DAP response to `request`; `message` makes it a failure."""
    reply: dict[str, Any] = {
        "type": "response",
        "request_seq": request.get("seq", 0),
        "command": request.get("command", ""),
        "success": message is None,
        "body": {} if body is None else body,
    }
    if message is not None:
        reply["message"] = message
    return reply


class LuaDebugger:
    """The debug adapter of one kernel: its breakpoints, its cells, and a stop when there is one."""

    def __init__(self, session: Callable[[], Any], send_event: Callable[[dict], None]) -> None:
        """`session` gives the live LuaSession (a reset makes a new one), `send_event` sends."""
        self._session = session
        self._send_event = send_event
        self._seq = 0
        self.started = False
        self.breakpoints: dict[str, list[dict[str, Any]]] = {}  # file -> DAP breakpoints
        self.stop_on_errors = False
        self._pause = False
        self._news = False  # breakpoints changed while a cell runs
        self._knockable = False  # the running cell's Lua can be knocked (see `_knock`)
        self.paths: dict[str, str] = {}  # chunk name ("In[3]") -> cell file
        self.next_cell_path: str | None = None  # set by the kernel as a cell arrives
        self._lua: Any = None  # debugger.lua's table, in the session it was loaded in
        self._lua_session: Any = None
        self._requests: queue.Queue[tuple[dict, concurrent.futures.Future]] = queue.Queue()
        self._stop_lock = threading.Lock()  # `_stop` and the queue change together
        self._stop: Any = None  # the Lua stop being served, while the main thread is paused
        self._references: dict[int, Any] = {}

    # -- the control thread ------------------------------------------------------

    async def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """Answer one DAP request (control thread)."""
        command = request.get("command")
        if command in NEEDS_LUA or command in GO_ON or command == "disconnect":
            future: concurrent.futures.Future = concurrent.futures.Future()
            with self._stop_lock:  # a stop ending meanwhile answers what it leaves
                if self._stop is None:
                    return self._not_stopped(request)
                self._requests.put((request, future))
            return await asyncio.wrap_future(future)
        handler = getattr(self, f"_on_{command}", None)
        if handler is None:
            return response(request, message=f"the Lua debugger has no {command!r} request")
        return handler(request)

    def _not_stopped(self, request: dict[str, Any]) -> dict[str, Any]:
        if request["command"] == "disconnect":
            self._end()
            self._news = True
            self._knock()  # a running cell drops the breakpoints at once
            return response(request)
        if request["command"] in GO_ON:
            return response(request, {"allThreadsContinued": True})
        return response(request, message="no Lua code is stopped")

    def _end(self) -> None:
        self.started = False
        self.breakpoints = {}
        self.stop_on_errors = False

    def _on_initialize(self, request: dict[str, Any]) -> dict[str, Any]:
        self.started = True
        return response(request, CAPABILITIES)

    def _on_attach(self, request: dict[str, Any]) -> dict[str, Any]:
        self.event("initialized")
        return response(request)

    def _on_configurationDone(self, request: dict[str, Any]) -> dict[str, Any]:
        return response(request)

    def _on_debugInfo(self, request: dict[str, Any]) -> dict[str, Any]:
        return response(
            request,
            {
                "isStarted": self.started,
                "hashMethod": "Murmur2",
                "hashSeed": get_tmp_hash_seed(),
                "tmpFilePrefix": get_tmp_directory() + os.sep,
                "tmpFileSuffix": SUFFIX,
                "breakpoints": [
                    {"source": path, "breakpoints": breakpoints}
                    for path, breakpoints in self.breakpoints.items()
                ],
                "stoppedThreads": [THREAD_ID] if self._stop is not None else [],
                "richRendering": True,
                "exceptionPaths": [],
                "copyToGlobals": False,
            },
        )

    def _on_dumpCell(self, request: dict[str, Any]) -> dict[str, Any]:
        code = request["arguments"]["code"]
        path = Path(cell_path(code))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
        return response(request, {"sourcePath": str(path)})

    def _on_source(self, request: dict[str, Any]) -> dict[str, Any]:
        path = Path(request["arguments"]["source"].get("path", ""))
        if not path.is_file():
            return response(request, message="source unavailable")
        return response(request, {"content": path.read_text(encoding="utf-8")})

    def _on_setBreakpoints(self, request: dict[str, Any]) -> dict[str, Any]:
        arguments = request["arguments"]
        path = arguments["source"]["path"]
        kept, answers = [], []
        for asked in arguments.get("breakpoints", []):
            hit = asked.get("hitCondition")
            # each answer names its source: JupyterLab's panel reads `source.path`
            answer = {"line": int(asked["line"]), "source": {"path": path}}
            if hit and not HIT_CONDITION.match(hit):
                answers.append({**answer, "verified": False, "message": f"hit condition {hit!r}"})
                continue
            kept.append(
                {k: asked[k] for k in ("line", "condition", "hitCondition") if asked.get(k)}
            )
            answers.append({**answer, "verified": True})
        if kept:
            self.breakpoints[path] = kept
        else:
            self.breakpoints.pop(path, None)
        self._news = True
        if self.started:
            self._knock()  # a running cell takes them at once
        return response(request, {"breakpoints": answers})

    def _on_setExceptionBreakpoints(self, request: dict[str, Any]) -> dict[str, Any]:
        self.stop_on_errors = UNCAUGHT in request["arguments"].get("filters", [])
        self._news = True  # a running cell's next uncaught error asks (debugger.lua)
        return response(request, {"breakpoints": []})

    def _on_threads(self, request: dict[str, Any]) -> dict[str, Any]:
        return response(request, {"threads": [{"id": THREAD_ID, "name": "Lua"}]})

    def _on_inspectVariables(self, request: dict[str, Any]) -> dict[str, Any]:
        # The control thread cannot read Lua while a cell may run: the variables
        # of a stopped frame come with `variables`.
        return response(request, {"variables": []})

    def _on_pause(self, request: dict[str, Any]) -> dict[str, Any]:
        self._pause = True  # a line hook asks about every 1,000 lines
        if self.started:
            self._knock()  # and with none set, the knock brings one
        return response(request)

    def _knock(self) -> None:
        """Bring the running cell's Lua into debugger.lua's `enter` (control thread).

        Only for a cell that started with the debugger attached: its threads'
        doors are open (Lua 5.2-5.5; debugger.lua's `leave_doors`). The
        interrupt guard does nothing between runs.
        """
        if self._knockable:
            self._session().interrupts.knock()

    def event(self, name: str, body: dict[str, Any] | None = None) -> None:
        """Send a DAP event on IOPub."""
        self._seq += 1
        self._send_event({"type": "event", "seq": self._seq, "event": name, "body": body or {}})

    # -- the main thread -----------------------------------------------------------

    def before_chunk(self, chunk_name: str) -> None:
        """A cell's chunk is about to run (main thread): name its file, hand Lua the breakpoints."""
        if self.next_cell_path is not None:
            self.paths[chunk_name] = self.next_cell_path
        self._pause = self._news = False  # a pause asked between cells is dropped
        self._knockable = False
        if not self.started and self._lua is None:
            return
        lua = self._lua_side()
        wanted = self.started and bool(self.breakpoints)
        errors = self.started and self.stop_on_errors
        lua.set_breakpoints(self._lua_breakpoints(), errors)
        # set while attached: `uncaught` takes the panel's news first, so stopping on
        # errors turned on while the cell runs holds for its error
        self._session().runner.on_uncaught = lua.uncaught if self.started else None
        lua.arm(wanted)
        lua.leave_doors(self.started and not wanted)
        self._knockable = self.started

    def cell_ended(self) -> None:
        """A cell is over (main thread): a step under way ends with it, no knock reaches Lua."""
        self._knockable = False
        if self._lua is not None and self._lua_session is self._session():
            self._lua.cell_ended()

    def _refresh(self) -> Any:
        """debugger.lua's news (main thread): breakpoints now, whether to pause, any to stop at.

        Stopping on errors is news too: the runner's handler is set from the
        main thread only, for the whole cell while attached (a lupa object made
        while a coroutine runs belongs to that coroutine's stack, and may
        outlive it), and asks for news before it looks.
        """
        pause, self._pause, self._news = self._pause, False, False
        return self._session().lua.table_from(
            {
                "spec": self._lua_breakpoints(),
                "errors": self.started and self.stop_on_errors,
                "pause": pause,
                "any": self.started and bool(self.breakpoints),
            }
        )

    def _lua_side(self) -> Any:
        session = self._session()
        if self._lua is None or self._lua_session is not session:
            self._lua = session.layer.load(
                "debugger",
                paused=session.proxy.direct(self.paused),
                news_asked=session.proxy.direct(lambda: self._pause or self._news),
                refresh=session.proxy.direct(self._refresh),
            )
            self._lua_session = session
        return self._lua

    def _lua_breakpoints(self) -> Any:
        """debugger.lua's breakpoints: by chunk for cells, by `@path` for files Lua loaded."""
        table_from = self._session().lua.table_from
        sources = {"@" + path: path for path in self.breakpoints}
        sources.update({"=" + chunk: path for chunk, path in self.paths.items()})
        spec = {}
        for source, path in sources.items():
            if path in self.breakpoints:
                spec[source] = table_from(
                    [_lua_breakpoint(b, table_from) for b in self.breakpoints[path]]
                )
        return table_from(spec)

    def paused(self, stop: Any) -> str:
        """Called by debugger.lua at a stop: serve requests until one says how to go on."""
        reason = stop["reason"]
        if reason == "exception" and self._session().interrupts.interrupted:
            return "continue"  # the stop button's own error: no stop in it
        self._pause = False
        # All of it inside the `try`: the stop button's KeyboardInterrupt may land
        # anywhere here, and a stop left set would queue every later request for good.
        serving: list[tuple[dict, concurrent.futures.Future]] = []
        try:
            self._stop = stop
            self._references = {}
            body = {"reason": reason, "threadId": THREAD_ID, "allThreadsStopped": True}
            if stop["text"] is not None:
                body["text"] = str(stop["text"])
            self.event("stopped", body)
            while True:
                try:
                    request, future = self._requests.get(timeout=WAIT_SECONDS)
                except queue.Empty:
                    continue
                command = request["command"]
                if command in GO_ON or command == "disconnect":
                    if command == "disconnect":
                        self._end()
                    else:
                        self._stopped_lua.set_breakpoints(
                            self._lua_breakpoints(), self.stop_on_errors
                        )
                    future.set_result(response(request, {"allThreadsContinued": True}))
                    return command if command in GO_ON else "continue"
                serving.append((request, future))  # answered below, however this ends
                try:
                    answer = getattr(self, f"_serve_{command}")(request)
                except Exception as error:  # a bad request must not end the stop
                    answer = response(request, message=str(error))
                future.set_result(answer)
                serving.clear()
        finally:
            # the stop button inside a request (an endless evaluate) ends the stop there
            for request, future in serving:
                if not future.done():
                    future.set_result(response(request, message="interrupted"))
            with self._stop_lock:
                self._stop = None
                self._answer_left_requests()
            self._references = {}
            self.event("continued", {"threadId": THREAD_ID, "allThreadsContinued": True})

    def _answer_left_requests(self) -> None:
        """Requests queued for a stop that ended (the stop button): each gets its answer."""
        while True:
            try:
                request, future = self._requests.get_nowait()
            except queue.Empty:
                return
            future.set_result(self._not_stopped(request))

    @property
    def _stopped_lua(self) -> Any:
        """debugger.lua's table as the stop hands it: lupa objects made before (`_lua`) are
        read on the wrong stack while a coroutine is stopped."""
        return self._stop["own"]

    def _frames(self) -> list[Any]:
        frames = self._stop["frames"]
        return [frames[k] for k in range(1, int(self._stop["n"]) + 1)]

    def _source_of(self, source: str) -> dict[str, Any]:
        chunk = source[1:]
        if source.startswith("=") and chunk in self.paths:
            return {"name": chunk, "path": self.paths[chunk]}
        if source.startswith("@"):
            return {"name": Path(chunk).name, "path": chunk}
        return {"name": chunk}

    def _serve_stackTrace(self, request: dict[str, Any]) -> dict[str, Any]:
        frames = [
            {
                "id": index,
                "name": frame["name"],
                "line": int(frame["line"] or 0),
                "column": 1,
                "source": self._source_of(frame["source"]),
            }
            for index, frame in enumerate(self._frames(), 1)
        ]
        return response(request, {"stackFrames": frames, "totalFrames": len(frames)})

    def _reference(self, value: Any, scope: bool = False) -> int:
        """A number for the variables view: a scope (our names and values) or a table."""
        number = len(self._references) + 1
        self._references[number] = (scope, value)
        return number

    def _serve_scopes(self, request: dict[str, Any]) -> dict[str, Any]:
        frame = self._frames()[int(request["arguments"]["frameId"]) - 1]
        scopes = [
            {"name": "Locals", "variablesReference": self._reference(frame["locals"], True)},
            {"name": "Upvalues", "variablesReference": self._reference(frame["upvalues"], True)},
            {
                "name": "Globals",
                "variablesReference": self._reference(self._stop["globals"]),
                "expensive": True,
            },
        ]
        for scope in scopes:
            scope.setdefault("expensive", False)
        return response(request, {"scopes": scopes})

    def _variable(self, name: Any, value: Any) -> dict[str, Any]:
        text, kind = self._describe(value)
        expands = kind == "table" or _python_items(value) is not None
        reference = self._reference(value) if expands else 0
        return {
            "name": str(name),
            "value": text,
            "type": _panel_type(kind, text),
            "variablesReference": reference,
        }

    def _describe(self, value: Any) -> tuple[str, str]:
        if _is_lua_or_scalar(value):
            text, kind = self._stopped_lua.describe(value)
            return str(text), str(kind)
        shown = repr(value)  # a Python object Lua holds
        return (shown if len(shown) <= 200 else shown[:200] + "..."), type(value).__name__

    def _serve_variables(self, request: dict[str, Any]) -> dict[str, Any]:
        scope, target = self._references[int(request["arguments"]["variablesReference"])]
        if scope:  # debugger.lua's names and values, in the frame's order
            names, values = target["names"], target["values"]
            variables = [
                self._variable(names[k], values[k]) for k in range(1, int(target["n"]) + 1)
            ]
            return response(request, {"variables": variables})
        items = _python_items(target)
        if items is not None:  # a Python object Lua holds: its items, as Python has them
            variables = [self._variable(name, value) for name, value in items]
            return response(request, {"variables": variables})
        fields = self._stopped_lua.fields(target, MAX_FIELDS)  # raw: no __index, no __pairs
        keys, values = fields["keys"], fields["values"]
        variables = []
        for k in range(1, int(fields["n"]) + 1):
            key = keys[k]
            name = key if isinstance(key, str) else f"[{self._describe(key)[0]}]"
            variables.append(self._variable(name, values[k]))
        return response(request, {"variables": variables})

    def _frame(self, frame_id: Any) -> Any:
        """The stop's frame numbered `frame_id` (1 is the innermost), None for none."""
        frames = self._frames()
        return frames[int(frame_id) - 1] if frame_id and int(frame_id) <= len(frames) else None

    def _serve_richInspectVariables(self, request: dict[str, Any]) -> dict[str, Any]:
        """A value as a notebook would show it: the panel's "render variable"."""
        arguments = request["arguments"]
        frame = self._frame(arguments.get("frameId"))
        result = self._stopped_lua.evaluate(arguments["variableName"], frame)
        if not result["ok"]:
            return response(request, message=str(result["message"]))
        value = result["value"]
        text, kind = self._describe(value)
        data: dict[str, Any] = {"text/plain": text}
        metadata: dict[str, Any] = {}
        if kind == "table":  # read raw, as the variables view reads it
            with reading_with(RawReader(self._stopped_lua.raw_get)):
                shown = lua_table_html(value)
            if shown is not None:
                data["text/html"] = shown
        elif not _is_lua_or_scalar(value):
            shell = InteractiveShell.instance() if InteractiveShell.initialized() else None
            if shell is not None:  # a Python object Lua holds: as Python shows it
                data, metadata = shell.display_formatter.format(value)
        return response(request, {"data": data, "metadata": metadata})

    def _serve_evaluate(self, request: dict[str, Any]) -> dict[str, Any]:
        arguments = request["arguments"]
        frame = self._frame(arguments.get("frameId"))
        result = self._stopped_lua.evaluate(arguments["expression"], frame)
        if not result["ok"]:
            return response(request, message=str(result["message"]))
        shown = self._variable("", result["value"])
        return response(
            request,
            {
                "result": shown["value"],
                "type": shown["type"],
                "variablesReference": shown["variablesReference"],
            },
        )


def _lua_breakpoint(breakpoint: dict[str, Any], table_from: Callable[[Any], Any]) -> Any:
    """A DAP breakpoint as debugger.lua takes it: line, condition, hit = {op =, n =}."""
    lua: dict[str, Any] = {"line": int(breakpoint["line"])}
    if breakpoint.get("condition"):
        lua["condition"] = breakpoint["condition"]
    found = HIT_CONDITION.match(breakpoint.get("hitCondition") or "")
    if found:
        lua["hit"] = table_from({"op": found[1] or ">=", "n": int(found[2])})
    return table_from(lua)


def _is_lua_or_scalar(value: Any) -> bool:
    """A Lua object or a value Lua and Python share (nil, strings, numbers, booleans)."""
    return (
        type(value).__module__.startswith("lupa.")
        or value is None
        or isinstance(value, str | int | float | bool)
    )


def _panel_type(kind: str, text: str) -> str:
    """The DAP `type` of a value of Lua type `kind` shown as `text` (see PANEL_TYPES)."""
    if kind != "number":
        return PANEL_TYPES.get(kind, kind)
    try:
        number = float(text)
    except ValueError:
        return kind
    if not math.isfinite(number) or abs(number) >= EXACT_IN_JAVASCRIPT:
        return kind
    return "int" if INTEGER_TEXT.fullmatch(text) else "float"


def _python_items(value: Any) -> list[tuple[str, Any]] | None:
    """The children the variables view shows of a Python container, None for others."""
    if type(value).__module__.startswith("lupa."):
        return None
    if isinstance(value, Mapping):
        return [(repr(k), v) for k, v in list(value.items())[:MAX_FIELDS]]
    if isinstance(value, list | tuple):
        return [(str(i), v) for i, v in enumerate(value[:MAX_FIELDS])]
    return None
