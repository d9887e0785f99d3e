/** `fxlens: Show Nodes`: the node table of the model under the cursor, as a Markdown preview. */

import * as vscode from "vscode";
import { parseShowNodesResult, SHOW_NODES_REQUEST, type ShowNodesParams } from "./protocol";
import type { ServerManager } from "./server";

export async function showNodes(server: ServerManager): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined || editor.document.languageId !== "python") {
    void vscode.window.showWarningMessage("fxlens: open a Python file and put the cursor on a create_feature_extractor call.");
    return;
  }
  const client = server.running?.languageClient;
  if (client === undefined) {
    void vscode.window.showWarningMessage("fxlens: the language server is not running (see fxlens: Restart Server and the fxlens output).");
    return;
  }
  const params: ShowNodesParams = {
    textDocument: { uri: client.code2ProtocolConverter.asUri(editor.document.uri) },
    position: client.code2ProtocolConverter.asPosition(editor.selection.active),
  };
  let reply: unknown;
  try {
    reply = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "fxlens: reading the model's nodes" },
      () => client.sendRequest(SHOW_NODES_REQUEST, params),
    );
  } catch (error) {
    void vscode.window.showErrorMessage(`fxlens: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  const result = parseShowNodesResult(reply);
  if (result === undefined) {
    void vscode.window.showErrorMessage("fxlens: the server's reply to Show Nodes has no title and markdown");
    return;
  }
  const document = await vscode.workspace.openTextDocument({ language: "markdown", content: result.markdown });
  await vscode.commands.executeCommand("markdown.showPreview", document.uri);
}
