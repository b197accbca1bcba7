/* A C module with static state, for tests/test_lua_libraries.py: each runtime
   that loads it must get its own instance (its own `calls`), and every call must
   reach the API of the runtime whose state called it. */
#include "lua.h"
#include "lauxlib.h"

static int calls = 0;

static int next_call(lua_State *L) {
  calls++;
  lua_pushinteger(L, calls);
  /* the calling state's own jit.version (nil on PUC Lua): proves the API is its runtime's */
  lua_getglobal(L, "jit");
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "version");
    lua_remove(L, -2);
  }
  return 2;
}

int luaopen_static_counter(lua_State *L) {
  lua_newtable(L);
  lua_pushcfunction(L, next_call);
  lua_setfield(L, -2, "next");
  return 1;
}
