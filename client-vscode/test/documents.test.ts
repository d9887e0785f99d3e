// The document selector: Python files, untitled editors and notebook cells, as LSP filters.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NotebookCellTextDocumentFilter, TextDocumentFilter } from "vscode-languageserver-protocol";
import { DOCUMENT_SELECTOR } from "../src/documents";

describe("DOCUMENT_SELECTOR", () => {
  it("selects Python files on disk and untitled Python editors", () => {
    const text = DOCUMENT_SELECTOR.filter((filter) => !NotebookCellTextDocumentFilter.is(filter));
    assert.deepEqual(text, [
      { scheme: "file", language: "python" },
      { scheme: "untitled", language: "python" },
    ]);
    assert.ok(text.every((filter) => TextDocumentFilter.is(filter)));
  });

  it("selects the Python cells of every notebook type, as an LSP notebook cell filter", () => {
    const cells = DOCUMENT_SELECTOR.filter((filter) => NotebookCellTextDocumentFilter.is(filter));
    assert.deepEqual(cells, [{ notebook: "*", language: "python" }]);
  });
});
