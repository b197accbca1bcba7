"""ilupa's papermill plugin: how papermill comes to know the Lua parameter translator.

papermill has entry point groups for engines (`papermill.engine`) and I/O
handlers (`papermill.io`) but none for parameter translators, and it loads its
engine plugins when it imports its engines module, before any notebook runs.
ilupa's entry point `papermill.engine: ilupa` names `LuaEngine` (papermill's
nbclient engine, unchanged); loading it imports ilupa.papermill.translator, which
registers the translator. The import below binds the module only and reads
none of its names, so `import ilupa.papermill.translator` before or after papermill
works. This module itself is for papermill to load (importing it before
papermill would make papermill load it again half-done).
"""

from __future__ import annotations

from papermill.engines import NBClientEngine

import ilupa.papermill.translator  # noqa: F401  (registers the Lua translator)


class LuaEngine(NBClientEngine):
    """papermill's nbclient engine, unchanged (`--engine ilupa` runs a notebook as usual)."""
