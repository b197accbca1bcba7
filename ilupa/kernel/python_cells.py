"""`%%py`: Python in the kernel's own process and namespace.

IPython's `%%python` starts a separate interpreter, which sees none of the
notebook's variables; in the ilupa kernel `%%py` (and `%%python`) run the cell
here, show its last expression, and share every object with Lua.
"""

from __future__ import annotations

import ast
from typing import Any

from IPython.core.inputtransformer2 import TransformerManager
from IPython.core.magic import Magics, cell_magic, magics_class


@magics_class
class PythonCellMagics(Magics):
    """Run a Python cell in the shell's user namespace."""

    @cell_magic
    def py(self, line: str, cell: str) -> Any:
        """Run the cell as Python in this process; its last expression is the value."""
        __tracebackhide__ = True
        # IPython syntax (`x = %lua 1`, `!ls`) is allowed; the shell's own
        # transformer would read the body as a Lua cell.
        source = TransformerManager().transform_cell(cell)
        module = ast.parse(source, filename="<%%py>")
        last = None
        if module.body and isinstance(module.body[-1], ast.Expr):
            last = ast.Expression(module.body.pop().value)
        namespace = self.shell.user_ns
        exec(compile(module, "<%%py>", "exec"), namespace)
        if last is None or source.rstrip().endswith(";"):
            return None
        return eval(compile(last, "<%%py>", "eval"), namespace)

    @cell_magic
    def python(self, line: str, cell: str) -> Any:
        """In the ilupa kernel, `%%python` is `%%py`: same process, same namespace."""
        __tracebackhide__ = True
        return self.py(line, cell)
