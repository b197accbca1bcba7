"""Non-UTF-8 and NUL bytes in code, strings and keys; huge strings and cells."""

from __future__ import annotations

from tests.fault_corpus import Entry, Group, fails, gives, python, raw

BYTES = python(
    "bytes",
    "raw_bytes = b'\\xff\\x00\\xfe'\nnul_text = 'a\\x00b'\nsurrogate = '\\udcff'\n",
)
NOT_UTF8 = "can't decode byte 0xff"

ENTRIES = (
    fails("nul-byte-in-code", "x = 1\0 y = 2", "unexpected symbol"),
    gives("nul-byte-inside-string-literal", "nul_literal = 'a\0b'\nreturn #nul_literal", "3"),
    gives("nul-escape-returned", "return 'a\\0b'", "'a\\x00b'"),
    gives("nul-in-key", "local t = {['a\\0b'] = 1}\nreturn t['a\\0b']", "1"),
    gives("nul-only-string", "return string.rep('\\0', 3)", "'\\x00\\x00\\x00'"),
    fails("non-utf8-returned", "return '\\xff\\xfe'", NOT_UTF8),
    gives("non-utf8-kept-in-global", "binary_global = '\\xff\\xfe'\nreturn #binary_global", "2"),
    gives("non-utf8-key-shown", "return {['\\xff'] = 1}", "not shown"),
    gives("non-utf8-value-shown", "return {'\\xfe'}", "not shown"),
    Entry(
        "non-utf8-printed-escaped",
        "print('\\xff')",
        shows="\\255",
    ),
    gives("non-utf8-written-escaped", "io.write('\\xff\\0')", "\\255"),
    fails("non-utf8-error-message", "error('\\xff bad')", NOT_UTF8),
    fails("non-utf8-dict-key", "py.kept_dict['\\xff'] = 1", NOT_UTF8),
    fails("non-utf8-argument", "py.kept_function('\\xff')", NOT_UTF8),
    raw("non-utf8-output-binding", "%%lua -o binary_out\nbinary_out = '\\xff'", error=NOT_UTF8),
    gives("non-utf8-length-through-lua", "return #string.char(255, 254, 0)", "3"),
    gives("python-bytes-in-lua", "return #py.raw_bytes", "3"),
    gives("python-nul-text-in-lua", "return #py.nul_text", "3"),
    fails("python-lone-surrogate", "return py.surrogate", "surrogates not allowed"),
    # lupa's encoding failed: a bare UnicodeEncodeError "in position 10", no line. The
    # protocol's JSON cannot carry a lone surrogate (it arrives as U+FFFD), so Python
    # code in the kernel makes the cells.
    python(
        "lone-surrogate-in-cell",
        "get_ipython().run_cell_magic('lua', '', 'x = 1\\nreturn \"a\\udcff\"')",
        error=":3: a lone surrogate (U+DCFF)",
    ),
    python(
        "lone-surrogate-in-comment",
        "get_ipython().run_cell_magic('lua', '', '-- \\udcff\\nreturn 1')",
        error=":2: a lone surrogate (U+DCFF)",
    ),
    python(
        "lone-surrogate-in-line-magic",
        "get_ipython().run_line_magic('lua', \"'a\\udcff'\")",
        error=":1: a lone surrogate (U+DCFF)",
    ),
    python(
        "lone-surrogate-in-sandbox",
        "get_ipython().run_cell_magic('lua', '--sandbox', 'return \"a\\udcff\"')",
        error="a lone surrogate (U+DCFF)",
    ),
    gives("emoji-string", "return '😀'", "😀"),
    gives("byte-order-mark-in-string", "return #'\ufeff'", "3"),
    gives("byte-order-mark-before-code", "\ufeffbom_x = 1\nreturn bom_x", "1"),
    gives("lone-carriage-returns", "cr_a = 1\rcr_b = 2\rreturn cr_a + cr_b", "3"),
    gives(
        "huge-string-64MiB",
        "local s = string.rep('x', 2^26)\nreturn #s",
        "67108864",
    ),
    gives(
        "huge-string-to-python", "huge_text = string.rep('ab', 2^22)\nreturn #huge_text", "8388608"
    ),
    python(
        "huge-string-read-in-python", "huge_copy = %lua huge_text\nlen(huge_copy)", shows="8388608"
    ),
    gives("huge-string-shown", "return string.rep('y', 2^21)", "yyyy"),
    gives(
        "huge-string-literal-in-code", "local s = '" + "z" * 1_000_000 + "'\nreturn #s", "1000000"
    ),
    gives("huge-key", "local t = {[string.rep('k', 2^20)] = 1}\nreturn next(t):len()", "1048576"),
    # printed output had no limit (320 MiB captured; the kernel grew by 820 MB)
    gives(
        "print-past-the-output-budget",
        "local s = string.rep('x', 2^20)\nfor i = 1, 40 do print(s) end\nreturn 'printed'",
        "[ilupa: output cut here:",
    ),
    python(
        "huge-python-string-to-lua",
        "big_py_text = 'q' * 2**24\n%lua #py.big_py_text",
        shows="16777216",
    ),
)

GROUPS = (Group("text-and-bytes", ENTRIES, setup=(BYTES,)),)
