/** `fxlens.showNodes`: the node view of the call under the cursor (command palette) or of a code lens's call. */

import * as vscode from "vscode";
import type { NodePanel } from "./nodePanel";
import { showNodesTarget } from "./protocol";

/** Open `panel` on the call the code lens names (`[uri, {line, character}]`), else at the active editor's cursor. */
export async function showNodes(panel: NodePanel, uri?: unknown, position?: unknown): Promise<void> {
  const given = showNodesTarget(uri instanceof vscode.Uri ? uri.toString() : uri, position);
  if (given !== undefined) {
    await panel.show(vscode.Uri.parse(given.uri), new vscode.Position(given.position.line, given.position.character));
    return;
  }
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined || editor.document.languageId !== "python") {
    void vscode.window.showWarningMessage("fxlens: open a Python file and put the cursor on a create_feature_extractor call.");
    return;
  }
  await panel.show(editor.document.uri, editor.selection.active);
}
