/**
 * Which documents the server is given: Python files on disk, untitled Python editors, and the
 * Python cells of notebooks (of any notebook type: Jupyter's `.ipynb` and others).
 *
 * The cells match through LSP's notebook cell filter. vscode-languageclient sends a cell the
 * server's `notebookDocumentSync` selector covers through `notebookDocument/*` messages (the whole
 * notebook, cells in order) and not as a text document of its own; a server without notebook sync
 * gets each cell as a text document with its opaque `vscode-notebook-cell:` URI. Either way the
 * language features (completion, hover, …) are registered for cells too.
 */

export type DocumentFilter =
  | { readonly scheme: string; readonly language: string }
  | { readonly notebook: string; readonly language: string };

export const DOCUMENT_SELECTOR: readonly DocumentFilter[] = [
  { scheme: "file", language: "python" },
  { scheme: "untitled", language: "python" },
  { notebook: "*", language: "python" },
];
