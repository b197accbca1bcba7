"""papermill parameters for Lua: `papermill in.ipynb out.ipynb -k ilupa -p n 10` just works.

papermill turns parameters into code with a translator it looks up by kernel
name, then by language. Importing this module registers `LuaTranslator` for
the kernel `ilupa` and the language `lua`; papermill imports it through ilupa's
engine plugin (see engine.py), so nothing is needed after
`pip install ilupa`.

The injected cell is plain Lua 5.1 that every runtime reads the same way:
globals assigned one per line, strings in double quotes with `\\ddd` escapes
(no long brackets, no `\\x` or `\\z`, which Lua 5.1 lacks), `math.huge` and
`0/0` for the non-finite floats, lists as 1-based tables, dicts as tables
with `[key] =` wherever a key is not a plain name.
"""

from __future__ import annotations

import math
import re
from typing import Any

from papermill.models import Parameter
from papermill.translators import Translator, papermill_translators

from ilupa.source.lexer import KEYWORDS_51

KERNEL_NAME = "ilupa"
LANGUAGE = "lua"
# Reserved in some Lua version: such names need `_G["name"]` or `["name"] =`.
LUA_KEYWORDS = KEYWORDS_51 | {"goto", "global"}  # goto: 5.2+; global: 5.5
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# `name = value -- help` in a parameters cell, for `papermill --help-notebook`.
ASSIGNMENT = re.compile(
    r"^\s*(?:local\s+)?(?P<name>[A-Za-z_]\w*)\s*=\s*(?P<value>.*?)\s*(?:--\s*(?P<help>.*))?$"
)


def is_lua_name(text: object) -> bool:
    """True when `text` can stand bare as a Lua variable or field name on every runtime."""
    return isinstance(text, str) and bool(NAME.match(text)) and text not in LUA_KEYWORDS


def lua_string(text: str) -> str:
    """A double-quoted Lua string literal of `text`, readable by Lua 5.1 through 5.5."""
    out = []
    for char in text:
        if char in SHORT_ESCAPES:
            out.append(SHORT_ESCAPES[char])
        elif ord(char) < 32 or ord(char) == 127:
            out.append(f"\\{ord(char):03d}")  # three digits: a digit after it stays a digit
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


class LuaTranslator(Translator):
    """Python values (from `-p`, `-r`, `-y`, `-f`) as Lua source."""

    @classmethod
    def translate_str(cls, val: str) -> str:
        return lua_string(val)

    @classmethod
    def translate_escaped_str(cls, str_val: Any) -> str:
        return lua_string(str(str_val))

    @classmethod
    def translate_none(cls, val: None) -> str:
        return "nil"

    @classmethod
    def translate_int(cls, val: int) -> str:
        return str(val)

    @classmethod
    def translate_float(cls, val: float) -> str:
        if math.isnan(val):
            return "(0/0)"
        if math.isinf(val):
            return "math.huge" if val > 0 else "-math.huge"
        return repr(val)  # shortest text that reads back as the same double

    @classmethod
    def translate_bool(cls, val: bool) -> str:
        return "true" if val else "false"

    @classmethod
    def translate_list(cls, val: list[Any]) -> str:
        return "{" + ", ".join(cls.translate(item) for item in val) + "}"

    @classmethod
    def translate_dict(cls, val: dict[Any, Any]) -> str:
        return (
            "{"
            + ", ".join(cls.table_key(k) + " = " + cls.translate(v) for k, v in val.items())
            + "}"
        )

    @classmethod
    def table_key(cls, key: Any) -> str:
        """`name` for a plain name, `[key]` for any other string, number or boolean."""
        if is_lua_name(key):
            return key
        if key is None or (isinstance(key, float) and math.isnan(key)):
            raise ValueError(f"a Lua table cannot have the key {key!r}")
        return f"[{cls.translate(key)}]"

    @classmethod
    def comment(cls, cmt_str: str) -> str:
        return f"-- {cmt_str}".strip()

    @classmethod
    def assign(cls, name: str, str_val: str) -> str:
        if is_lua_name(name):
            return f"{name} = {str_val}"
        return f"_G[{lua_string(name)}] = {str_val}"

    @classmethod
    def inspect(cls, parameters_cell: Any) -> list[Parameter]:
        """The `name = value -- help` lines of a Lua parameters cell."""
        found = []
        for line in parameters_cell["source"].splitlines():
            match = ASSIGNMENT.match(line)
            if match is None or not match["value"]:
                continue
            value = match["value"]
            found.append(Parameter(match["name"], guess_type(value), value, match["help"] or ""))
        return found


def guess_type(value: str) -> str:
    """A Lua literal's type name, as papermill's help shows it ("None" when unknown)."""
    if value in ("true", "false"):
        return "boolean"
    if value == "nil":
        return "nil"
    if value[:1] in ("'", '"') or value.startswith("[["):
        return "string"
    if value.startswith("{"):
        return "table"
    try:
        float(value)
    except ValueError:
        return "None"
    return "number"


papermill_translators.register(KERNEL_NAME, LuaTranslator)
papermill_translators.register(LANGUAGE, LuaTranslator)
