/**
 * The node view's panel: one webview showing the node table of one call, asked of the server with
 * `fxlens/nodeTable`, asked again when that document's diagnostics change (the server publishes
 * them after every trace and edit); a click puts the name into the call with a WorkspaceEdit.
 */

import * as vscode from "vscode";
import { Debouncer } from "./debounce";
import { planNameEdit } from "./nodeEdit";
import { type NodeTableReply, parseNodeTableReply } from "./nodeTable";
import { newNonce, nodeViewHtml } from "./nodeViewHtml";
import { parseFromView, type ToView } from "./nodeViewMessages";
import { NODE_TABLE_REQUEST, type ShowNodesParams } from "./protocol";
import type { ServerManager } from "./server";

/** Diagnostics arrive in bursts (one publish per cell, per edit): one request per burst. */
const REFRESH_DELAY_MS = 300;

interface Target {
  readonly uri: vscode.Uri;
  /** Where the view was opened: which call it shows (the nearest call starting above it). */
  readonly position: vscode.Position;
}

export class NodePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private target: Target | undefined;
  private shown: ToView | undefined;
  private generation = 0;
  private readonly refresher = new Debouncer(REFRESH_DELAY_MS, () => void this.refresh());
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly server: ServerManager,
    private readonly extensionUri: vscode.Uri,
  ) {
    this.subscriptions = [
      vscode.languages.onDidChangeDiagnostics((event) => {
        const uri = this.target?.uri.toString();
        if (this.panel !== undefined && event.uris.some((changed) => changed.toString() === uri)) {
          this.refresher.trigger();
        }
      }),
    ];
  }

  /** Show the call at `position` in `uri` (in the open panel, or a new one beside the editor). */
  async show(uri: vscode.Uri, position: vscode.Position): Promise<void> {
    this.target = { uri, position };
    if (this.panel === undefined) {
      this.panel = this.createPanel();
    } else {
      this.panel.reveal(undefined, true);
    }
    await this.refresh();
  }

  dispose(): void {
    this.refresher.cancel();
    this.subscriptions.forEach((subscription) => subscription.dispose());
    this.panel?.dispose();
  }

  private createPanel(): vscode.WebviewPanel {
    const dist = vscode.Uri.joinPath(this.extensionUri, "dist");
    const panel = vscode.window.createWebviewPanel(
      "fxlens.nodes",
      "fxlens nodes",
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [dist] },
    );
    panel.webview.html = nodeViewHtml({
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, "nodeView.js")).toString(),
      nonce: newNonce(),
    });
    panel.webview.onDidReceiveMessage((value: unknown) => {
      const message = parseFromView(value);
      if (message?.type === "ready" && this.shown !== undefined) {
        void panel.webview.postMessage(this.shown);
      } else if (message?.type === "pick") {
        void this.insert(message.name);
      }
    });
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.shown = undefined;
      this.refresher.cancel();
    });
    return panel;
  }

  /** Ask the server for the target's table and show it (only the answer to the latest request counts). */
  private async refresh(): Promise<void> {
    const target = this.target;
    const client = this.server.running?.languageClient;
    if (target === undefined || this.panel === undefined) {
      return;
    }
    const generation = ++this.generation;
    let shown: ToView;
    if (client === undefined) {
      shown = { type: "error", message: "The fxlens language server is not running (see fxlens: Restart Server and the fxlens output)." };
    } else {
      const params: ShowNodesParams = {
        textDocument: { uri: client.code2ProtocolConverter.asUri(target.uri) },
        position: client.code2ProtocolConverter.asPosition(target.position),
      };
      try {
        const reply = parseNodeTableReply(await client.sendRequest(NODE_TABLE_REQUEST, params));
        shown = reply === undefined ? { type: "error", message: "The server's node table reply is malformed." } : { type: "show", reply };
      } catch (error) {
        shown = { type: "error", message: error instanceof Error ? error.message : String(error) };
      }
    }
    if (generation !== this.generation || this.panel === undefined) {
      return;
    }
    this.shown = shown;
    if (shown.type === "show") {
      this.panel.title = shown.reply.title;
    }
    await this.panel.webview.postMessage(shown);
  }

  /** Put `name` into the call at the cursor of the target's editor (else where the view was opened). */
  private async insert(name: string): Promise<void> {
    const target = this.target;
    const reply: NodeTableReply | undefined = this.shown?.type === "show" ? this.shown.reply : undefined;
    if (target === undefined || reply === undefined) {
      return;
    }
    const document = await vscode.workspace.openTextDocument(target.uri);
    const editor = vscode.window.visibleTextEditors.find((visible) => visible.document === document);
    const cursor = editor?.selection.active ?? target.position;
    const lineAt = (line: number) => (line < document.lineCount ? document.lineAt(line).text : "");
    const plan = planNameEdit(lineAt, cursor, reply.arguments, name);
    if (plan === undefined) {
      await vscode.env.clipboard.writeText(name);
      void vscode.window.showInformationMessage(`fxlens: the call's node argument is not written here; "${name}" was copied to the clipboard.`);
      return;
    }
    const range = new vscode.Range(plan.range.start.line, plan.range.start.character, plan.range.end.line, plan.range.end.character);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, range, plan.text);
    if (!(await vscode.workspace.applyEdit(edit))) {
      void vscode.window.showWarningMessage(`fxlens: could not insert "${name}" (the document changed or is read-only).`);
      return;
    }
    if (editor !== undefined) {
      const end = document.positionAt(document.offsetAt(range.start) + plan.text.length);
      editor.selection = new vscode.Selection(end, end);
    }
    this.refresher.trigger();
  }
}
