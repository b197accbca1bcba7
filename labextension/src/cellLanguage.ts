/**
 * The CodeMirror extension given to every cell editor: it keeps the cell's
 * language in step with its text and its notebook's mime type.
 *
 * JupyterLab sets one language per notebook (from the kernel's language_info)
 * in its own compartment. This extension adds a second compartment at the
 * highest precedence, which CodeMirror's `language` facet prefers; it holds
 * the override `CellLanguages.choose` picks, or nothing. The override is
 * recomputed in the same transaction as any edit (a transaction extender), and
 * again when the notebook's mime type changes or the languages finish loading.
 */

import {
  Compartment,
  EditorState,
  Extension,
  Prec,
  StateEffect,
  Transaction
} from '@codemirror/state';
import { EditorView, ViewPlugin } from '@codemirror/view';
import type { CodeEditor } from '@jupyterlab/codeeditor';

import { CellLanguages, NOTEBOOK_LANGUAGE } from './languages';

/** Asks the extender to choose again although the text did not change. */
const chooseAgain = StateEffect.define<null>();

/** The extension for one cell editor over `model`. */
export function cellLanguage(model: CodeEditor.IModel, languages: CellLanguages): Extension {
  const override = new Compartment();

  const extender = EditorState.transactionExtender.of((transaction: Transaction) => {
    if (!transaction.docChanged && !transaction.effects.some(effect => effect.is(chooseAgain))) {
      return null;
    }
    const next = languages.choose(model.mimeType, transaction.newDoc);
    return override.get(transaction.startState) === next
      ? null
      : { effects: override.reconfigure(next) };
  });

  const watcher = ViewPlugin.define((view: EditorView) => {
    let live = true;
    const refresh = (): void => {
      if (live) {
        view.dispatch({ effects: chooseAgain.of(null) });
      }
    };
    model.mimeTypeChanged.connect(refresh);
    // Always after this constructor has returned: a view cannot be updated while it is built.
    void languages.ready.then(refresh);
    return {
      destroy(): void {
        live = false;
        model.mimeTypeChanged.disconnect(refresh);
      }
    };
  });

  return [Prec.highest(override.of(NOTEBOOK_LANGUAGE)), extender, watcher];
}
