"""How Lua values look in IPython's output."""
