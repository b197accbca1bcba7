/* A shared object that needs no Lua API at all: plain lupa can load it too, so
   the messages of require's C searchers can be compared with Lua's own. */
int luaopen_plain(void *L) { (void)L; return 0; }
int luaopen_plain_sub(void *L) { (void)L; return 0; }
int luaopen_a(void *L) { (void)L; return 0; }
