/**
 * Where the Lua is in a cell's text, read the way ilupa's magics read it.
 *
 * Pure functions over the cell's source: the editor extension asks them which
 * parts of a Python cell are Lua (a `%%lua` cell's body, the code after a
 * `%lua` line magic) and whether a cell of the ilupa kernel is Python (`%%py`,
 * `%%python`). They mirror ilupa/kernel/lua_cells.py and ilupa/magics/options.py.
 */

/** A span of the cell's text, in editor positions (UTF-16 offsets). */
export interface ITextRange {
  from: number;
  to: number;
}

/** `%lua`'s own options that take a value; the word after them is the value. */
const OPTIONS_TAKING_A_VALUE = new Set(['-i', '--input', '-o', '--output']);
/** `%lua`'s flags. */
const FLAG_OPTIONS = new Set([
  '-n',
  '--noreturn',
  '--version',
  '--sandbox',
  '-h',
  '--help'
]);

/** Blank lines, then `%%lua` as a whole word at the start of a line. */
const LUA_CELL_MAGIC = /^(?:[ \t]*\r?\n)*%%lua(?=\s|$)[^\n]*(\n|$)/;
/** `%%py` or `%%python` (not `%%pypy`) after leading blanks. */
const PYTHON_CELL_MAGIC = /^\s*%%(?:py|python)(?=\s|$)/;
/**
 * A `%lua` line magic, alone on its line or assigned (`x = %lua ...`,
 * `a.b[1], c = %lua ...`), as IPython's transformers accept it.
 */
const LUA_LINE_MAGIC = /^[ \t]*(?:[\w.[\], \t]+?[ \t]*=[ \t]*)?%lua(?=[ \t]|$)/;

/** True when the cell of the ilupa kernel is a Python cell. */
export function isPythonCell(text: string): boolean {
  return PYTHON_CELL_MAGIC.test(text);
}

/**
 * The Lua parts of a cell of a Python notebook: the body of a `%%lua` cell
 * (everything after its first line), else the Lua code of each `%lua` line
 * magic (what follows `%lua` and its options, to the end of the line).
 * Empty ranges are left out.
 */
export function luaRangesInPythonCell(text: string): ITextRange[] {
  const cell = LUA_CELL_MAGIC.exec(text);
  if (cell) {
    const from = cell[0].length;
    return from < text.length ? [{ from, to: text.length }] : [];
  }
  const ranges: ITextRange[] = [];
  let lineStart = 0;
  while (lineStart <= text.length) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline < 0 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd);
    const magic = LUA_LINE_MAGIC.exec(line);
    if (magic) {
      const from = lineStart + afterOptions(line, magic[0].length);
      const to = lineStart + line.replace(/\s+$/, '').length;
      if (from < to) {
        ranges.push({ from, to });
      }
    }
    if (newline < 0) {
      break;
    }
    lineStart = newline + 1;
  }
  return ranges;
}

/**
 * The offset in `line` where the Lua code starts: past the blanks after
 * `%lua` and past its leading option words, as `split_line_options` reads them.
 */
function afterOptions(line: string, start: number): number {
  let position = start;
  let expectingValue = false;
  for (;;) {
    const wordStart = position + (/^\s*/.exec(line.slice(position)) ?? [''])[0].length;
    if (wordStart >= line.length) {
      return wordStart;
    }
    const space = line.slice(wordStart).search(/\s/);
    const wordEnd = space < 0 ? line.length : wordStart + space;
    const word = line.slice(wordStart, wordEnd);
    if (expectingValue) {
      expectingValue = false;
    } else if (OPTIONS_TAKING_A_VALUE.has(word)) {
      expectingValue = true;
    } else if (
      !OPTIONS_TAKING_A_VALUE.has(word.split('=', 1)[0]) &&
      !FLAG_OPTIONS.has(word)
    ) {
      return wordStart;
    }
    position = wordEnd;
  }
}
