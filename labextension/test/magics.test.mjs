// Where the extension finds Lua in a cell: node's own test runner over the built lib/
// (run by tests/test_labextension.py, or `node --test test/` here after `jlpm build:lib`).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isPythonCell, luaRangesInPythonCell } from '../lib/magics.js';

/** The Lua text of each range, as the editor would mount Lua over it. */
const lua = text => luaRangesInPythonCell(text).map(({ from, to }) => text.slice(from, to));

test('a %%lua cell is Lua after its first line', () => {
  assert.deepEqual(lua('%%lua\nlocal x = 1\nreturn x'), ['local x = 1\nreturn x']);
  assert.deepEqual(lua('%%lua -i words -o n\nn = #words'), ['n = #words']);
  assert.deepEqual(lua('\n  \n%%lua\nx = 1'), ['x = 1']); // IPython drops blank lines first
});

test('other cell magics and an empty body are not Lua', () => {
  assert.deepEqual(lua('%%luax\nx = 1'), []);
  assert.deepEqual(lua('%%lua'), []);
  assert.deepEqual(lua('%%lua\n'), []);
  assert.deepEqual(lua('x = 1\n%%lua\ny = 2'), []); // a cell magic only counts first
});

test('the code after a %lua line magic is Lua, the rest of the cell Python', () => {
  const cell = 'n = %lua #t\nprint(n)\n  %lua print(1) -- one  \nm = 2';
  assert.deepEqual(lua(cell), ['#t', 'print(1) -- one']);
  assert.deepEqual(lua('a, b[0].c = %lua 1, 2'), ['1, 2']);
});

test("%lua's own options are not Lua, the code after them is", () => {
  assert.deepEqual(lua('x = %lua -i words -n #words -- n'), ['#words -- n']);
  assert.deepEqual(lua('%lua --input=t -5 + 1'), ['-5 + 1']); // `-5` is no option
  assert.deepEqual(lua('%lua --version'), []);
  assert.deepEqual(lua('%lua --sandbox 1 + 1'), ['1 + 1']);
});

test('%lua that is no line magic is left to Python', () => {
  assert.deepEqual(lua('a == %lua 1'), []);
  assert.deepEqual(lua('s = "%lua no"'), []);
  assert.deepEqual(lua('%luajit 1'), []);
  assert.deepEqual(lua('%lua'), []);
});

test('%%py and %%python cells of the ilupa kernel are Python', () => {
  assert.equal(isPythonCell('%%py\nx = 1'), true);
  assert.equal(isPythonCell('  %%python'), true);
  assert.equal(isPythonCell('%%pypy\nx = 1'), false);
  assert.equal(isPythonCell('%%py3'), false);
  assert.equal(isPythonCell('print(1)  -- %%py'), false);
});
