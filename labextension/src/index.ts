/**
 * ilupa's JupyterLab plugin: Lua highlighting for `%%lua` cells and `%lua`
 * lines in Python notebooks, Python highlighting for `%%py` cells in the ilupa
 * kernel's (Lua) notebooks. Only cell editors are touched (`inline`); files
 * keep the language their name gives them.
 */

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import {
  EditorExtensionRegistry,
  IEditorExtensionRegistry,
  IEditorLanguageRegistry
} from '@jupyterlab/codemirror';

import { cellLanguage } from './cellLanguage';
import { CellLanguages } from './languages';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'ilupa-jupyterlab:cell-languages',
  description: 'Highlights %%lua cells and %lua lines as Lua, and %%py cells of the ilupa kernel as Python.',
  autoStart: true,
  requires: [IEditorExtensionRegistry, IEditorLanguageRegistry],
  activate: (
    app: JupyterFrontEnd,
    extensions: IEditorExtensionRegistry,
    registry: IEditorLanguageRegistry
  ): void => {
    const languages = new CellLanguages(registry);
    extensions.addExtension({
      name: 'ilupa-jupyterlab:cell-languages',
      factory: ({ inline, model }) =>
        inline
          ? EditorExtensionRegistry.createImmutableExtension(cellLanguage(model, languages))
          : null
    });
  }
};

export default plugin;
