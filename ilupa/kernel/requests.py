"""Shell requests whose content misses fields the protocol requires.

ipykernel's handlers index `content["code"]` and friends directly: a request
without them raised inside the handler, which logged the error and sent no
reply, and the frontend waited forever (the python3 kernel does the same).
The ilupa kernel answers instead: requests that only ask (inspect, complete,
is_complete, history) get the protocol's defaults for what is missing, and
an execute_request without code gets an error reply naming the field, so
nothing runs that the user did not send.
"""

from __future__ import annotations

from typing import Any

# What a missing field means, per request; cursor_pos None is the code's end
# (LuaKernel's handlers read it so, as IPython's do).
ASKING_DEFAULTS: dict[str, dict[str, Any]] = {
    "inspect_request": {"code": "", "cursor_pos": None, "detail_level": 0},
    "complete_request": {"code": "", "cursor_pos": None},
    "is_complete_request": {"code": ""},
    "history_request": {"hist_access_type": "tail", "output": False, "raw": True, "n": 10},
}


def with_defaults(msg_type: str, content: Any) -> dict[str, Any]:
    """`content` with the protocol's defaults for the fields a request left out."""
    given = content if isinstance(content, dict) else {}
    return {**ASKING_DEFAULTS.get(msg_type, {}), **given}


def execute_problem(content: Any) -> str | None:
    """Why an execute_request cannot run, or None when it can."""
    if not isinstance(content, dict) or not isinstance(content.get("code"), str):
        return "execute_request needs 'code', a string (the cell's text)"
    return None


def refusal(problem: str, execution_count: int) -> dict[str, Any]:
    """An execute_reply refusing a request, in the protocol's error form."""
    return {
        "status": "error",
        "ename": "BadRequest",
        "evalue": problem,
        "traceback": [f"BadRequest: {problem}"],
        "execution_count": execution_count,
        "user_expressions": {},
        "payload": [],
    }
