-- A pure-Lua rock for tests/test_lua_libraries.py's `%lua_rocks make`.
return { hello = function(name) return "hello, " .. name end }
