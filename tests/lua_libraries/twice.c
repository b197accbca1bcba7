/* A C rock for tests/test_lua_libraries.py's `%lua_rocks make`. */
#include "lua.h"
#include "lauxlib.h"

static int twice(lua_State *L) {
  lua_pushnumber(L, 2 * luaL_checknumber(L, 1));
  return 1;
}

int luaopen_twice(lua_State *L) {
  lua_newtable(L);
  lua_pushcfunction(L, twice);
  lua_setfield(L, -2, "twice");
  return 1;
}
