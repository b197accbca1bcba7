/**
 * The language a cell editor should use instead of its notebook's, if any.
 *
 * Built from JupyterLab's own languages (its IPython and its Lua, taken from
 * the editor language registry), so a Lua part looks exactly like a Lua file
 * and the Python around it exactly like any Python cell: the IPython language
 * is reconfigured to mount Lua's parser over the Lua ranges of a cell
 * (Lezer's `parseMixed` with an overlay), so the magic lines stay Python.
 */

import { LRLanguage, LanguageSupport } from '@codemirror/language';
import { Extension, Text } from '@codemirror/state';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { Parser, parseMixed } from '@lezer/common';

import { isPythonCell, luaRangesInPythonCell } from './magics';

/** The mime types JupyterLab gives the cells of each kind of notebook. */
export const PYTHON_NOTEBOOK_MIME = 'text/x-ipython';
export const LUA_NOTEBOOK_MIME = 'text/x-lua';

/** The notebook's own language: no override. */
export const NOTEBOOK_LANGUAGE: Extension = [];

/** Python with Lua mounted over the ranges `luaRangesInPythonCell` finds. */
function pythonWithLua(python: LanguageSupport, lua: Parser): LanguageSupport | null {
  if (!(python.language instanceof LRLanguage)) {
    return null; // a JupyterLab whose IPython is not a Lezer language: leave it alone
  }
  const wrap = parseMixed((node, input) => {
    if (!node.type.isTop) {
      return null;
    }
    const overlay = luaRangesInPythonCell(input.read(0, input.length));
    return overlay.length ? { parser: lua, overlay } : null;
  });
  return new LanguageSupport(python.language.configure({ wrap }), python.support);
}

/** Chooses each cell's language once JupyterLab's IPython and Lua have loaded. */
export class CellLanguages {
  /** Settles when the languages are loaded (or failed to load). */
  readonly ready: Promise<void>;
  private _pythonWithLua: LanguageSupport | null = null;

  constructor(registry: IEditorLanguageRegistry) {
    this.ready = Promise.all([
      registry.getLanguage(PYTHON_NOTEBOOK_MIME),
      registry.getLanguage(LUA_NOTEBOOK_MIME)
    ])
      .then(([python, lua]) => {
        if (python?.support && lua?.support) {
          this._pythonWithLua = pythonWithLua(python.support, lua.support.language.parser);
        }
      })
      .catch(reason => {
        console.warn('ilupa: no Lua highlighting in cells:', reason);
      });
  }

  /**
   * The language for a cell with this text in a notebook whose cells have
   * `mimeType`: Python-with-Lua for a Python cell holding `%%lua` or `%lua`,
   * and for a `%%py` cell of a Lua notebook; otherwise the notebook's own.
   */
  choose(mimeType: string, doc: Text): Extension {
    const language = this._pythonWithLua;
    if (language === null) {
      return NOTEBOOK_LANGUAGE;
    }
    const text = doc.toString();
    if (mimeType === PYTHON_NOTEBOOK_MIME) {
      return luaRangesInPythonCell(text).length ? language : NOTEBOOK_LANGUAGE;
    }
    if (mimeType === LUA_NOTEBOOK_MIME) {
      return isPythonCell(text) ? language : NOTEBOOK_LANGUAGE;
    }
    return NOTEBOOK_LANGUAGE;
  }
}
