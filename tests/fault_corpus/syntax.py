"""Cells that are not valid Lua (or Python): every kind of syntax error."""

from __future__ import annotations

from tests.fault_corpus import Group, fails, gives, python, raw

SYNTAX = "LuaSyntaxError"

ENTRIES = (
    fails("double-equals", "x = = 1", "unexpected symbol near '='"),
    fails("local-without-name", "local = 5", "'<name>' expected"),
    fails("if-without-end", "if lua_number then\n  x = 1", "'end' expected"),
    fails("for-without-range", "for i = 1 do end", "',' expected"),
    fails("function-bad-parameters", "function f( end", "<name> or '...' expected"),
    fails("unfinished-string", "x = 'unterminated", "unfinished string"),
    fails("unfinished-long-string", "x = [[ long", "unfinished long string"),
    fails("unfinished-long-comment", "--[[ unclosed comment", "unfinished long comment"),
    fails("dangling-operator", "x = 1 +", "unexpected symbol near '<eof>'"),
    fails("malformed-hex", "x = 0x", "malformed number"),
    fails("malformed-exponent", "x = 1e", "malformed number"),
    fails("malformed-dots", "x = 3..4", "malformed number"),
    fails("invalid-escape", "x = '\\q'", "invalid escape sequence"),
    fails("escape-too-large", "x = '\\300'", "escape"),
    fails("method-assignment", "a.b:c = 1", "arguments expected"),
    fails("call-assignment", "f() = 1", "unexpected symbol near '='"),
    fails("unclosed-table", "x = {1, 2", "'}' expected"),
    fails("unclosed-paren", "x = (1", "')' expected"),
    fails("local-function-no-name", "local function end", "'<name>' expected"),
    fails("two-expressions", "x = 1 1", "unexpected symbol near '1'"),
    fails("at-sign", "@", "unexpected symbol near '@'"),
    fails("dollar", "x = $", "unexpected symbol"),
    fails("while-without-do", "while true end", "'do' expected"),
    fails("repeat-without-until", "repeat x = 1", "'until' expected"),
    fails("not-without-operand", "x = not", "unexpected symbol near '<eof>'"),
    fails("table-key-without-equals", "local t = {[1] 2}", "'=' expected"),
    fails("break-outside-loop", "break", "break"),
    fails("goto-undefined-label", "goto nowhere", "nowhere"),
    fails("label-defined-twice", "::a:: ::a::", "'a'"),
    fails("else-without-if", "else x = 1 end", "<eof>"),
    fails("end-alone", "end", "'<eof>' expected"),
    fails("return-not-last", "return 1\nx = 2", "<eof>"),
    fails("syntax-error-on-line-three", "x = 1\ny = 2\nz = = 3", ":3: unexpected symbol"),
    fails("nested-too-deep", "x = " + "(" * 400 + "1" + ")" * 400, "too many syntax levels"),
    fails(
        "too-many-locals",
        "local " + ", ".join(f"v{i}" for i in range(260)) + " = 1",
        "more than 200 local variables",
    ),
    fails("python-operator", "x = 1 if true else 2", "'then' expected"),
    fails("python-indentation-style", "def f():\n    return 1", "near 'f'"),
    raw("bad-cell-option", "%%lua --no-such-option\nx = 1", error="unrecognized arguments"),
    raw(
        "missing-input-variable",
        "%%lua -i not_defined_anywhere\nx = 1",
        error="not_defined_anywhere",
    ),
    raw(
        "missing-copy-variable",
        "%%lua -c not_defined_anywhere\nx = 1",
        error="not_defined_anywhere",
    ),
    raw("missing-output-global", "%%lua -o never_set_global\nx = 1"),
    gives("only-a-comment", "-- nothing but a comment"),
    fails("empty-statement-on-luajit", "x = 1;;;", "unexpected symbol near ';'"),
    gives("crlf-line-endings", "a_crlf = 1\r\nb_crlf = 2\r\nreturn a_crlf + b_crlf", "3"),
    gives("form-feed-and-tabs", "\tx_ff = 1\f\vreturn x_ff", "1"),
    gives("long-expression", "return 0" + " + 1" * 20000, "20000"),
    gives("long-identifier", "v" * 100_000 + " = 5\nreturn " + "v" * 100_000, "5"),
    gives("many-lines", "\n".join(f"line_{i % 10} = {i}" for i in range(20000)), None),
    python("python-syntax-error", "def f(:\n    pass", error="SyntaxError"),
    python("python-indentation-error", "x = 1\n    y = 2", error="IndentationError"),
    python("python-unterminated-string", "x = 'abc", error="unterminated string"),
    raw("line-magic-syntax-error", "%lua x = = 1", error=SYNTAX),
    python("line-magic-in-python-syntax-error", "value = %lua 1 +", error=SYNTAX),
)

GROUPS = (Group("syntax", ENTRIES),)
