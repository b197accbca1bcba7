"""Splitting `%lua` line-magic options from the Lua code that follows them.

argparse cannot be given a Lua expression to parse (`%lua -x + 1` would look
like an option), so only the leading words that are ilupa's own options are
parsed and the rest of the line is left as it was typed.
"""

from __future__ import annotations

import keyword

from IPython.core.error import UsageError

OPTIONS_TAKING_A_VALUE = frozenset({"-i", "--input", "-o", "--output", "-c", "--copy"})
FLAG_OPTIONS = frozenset(
    {"-n", "--noreturn", "--version", "--sandbox", "--workers", "--profile", "-h", "--help"}
)


def split_line_options(line: str) -> tuple[str, str]:
    """Return (the leading option words, the Lua code after them)."""
    position = 0
    expecting_value = False
    while True:
        word_start = len(line) - len(line[position:].lstrip())
        if word_start >= len(line):
            break
        word_end = _word_end(line, word_start)
        word = line[word_start:word_end]
        if expecting_value:
            expecting_value = False
        elif word in OPTIONS_TAKING_A_VALUE:
            expecting_value = True
        elif word.split("=", 1)[0] in OPTIONS_TAKING_A_VALUE or word in FLAG_OPTIONS:
            pass
        else:
            break
        position = word_end
    return line[:position].strip(), line[position:].strip()


def _word_end(line: str, start: int) -> int:
    for index in range(start, len(line)):
        if line[index].isspace():
            return index
    return len(line)


HELP_OPTIONS = frozenset({"-h", "--help"})


def names_from(values: list[str] | None, option: str = "-o") -> list[str]:
    """Flatten `-i a,b -i c` into ['a', 'b', 'c'], each a Python variable name.

    A name that is no Python identifier (`t.x`, `a-b`, `1abc`, `class`) would be
    bound where no Python code can read it as a variable (or read as a
    different one), so it is refused with a UsageError naming `option`.
    """
    names: list[str] = []
    for value in values or []:
        names.extend(name.strip() for name in value.split(",") if name.strip())
    for name in names:
        if not name.isidentifier() or keyword.iskeyword(name):
            raise UsageError(
                f"{option} {name}: not a Python variable name (a name like `result` or "
                "`t_x`; to reach a field, copy it into a global first: `t_x = t.x`)"
            )
    return names


def asks_for_help(option_words: str) -> bool:
    """True when the option words hold `-h` or `--help`: print the options, run nothing."""
    return any(word in HELP_OPTIONS for word in option_words.split())
