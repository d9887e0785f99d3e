/** Activation: wires settings, trust, the Python extension, commands and the language status to the server. */

import * as vscode from "vscode";
import { RESTART_COMMAND, SHOW_LOG_COMMAND, SHOW_NODES_COMMAND } from "./commands";
import { Debouncer } from "./debounce";
import { LanguageStatus } from "./languageStatus";
import { NodePanel } from "./nodePanel";
import { PythonExtensionBridge } from "./python";
import { ServerManager } from "./server";
import { showNodes } from "./showNodes";

/** Settings edits and interpreter switches within this many milliseconds cause one reload. */
const RELOAD_DELAY_MS = 500;

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("fxlens", { log: true });
  const status = new LanguageStatus();
  const debouncer = new Debouncer(RELOAD_DELAY_MS, () => void manager?.reload());
  const python = new PythonExtensionBridge(
    () => debouncer.trigger(),
    (message) => output.warn(message),
  );
  manager = new ServerManager(context.extensionPath, output, status, python);
  const server = manager;
  const nodes = new NodePanel(server, context.extensionUri);

  context.subscriptions.push(
    output,
    status,
    python,
    nodes,
    { dispose: () => debouncer.cancel() },
    vscode.commands.registerCommand(RESTART_COMMAND, () => {
      debouncer.cancel();
      return server.reload(true);
    }),
    vscode.commands.registerCommand(SHOW_NODES_COMMAND, (uri?: unknown, position?: unknown) => showNodes(nodes, uri, position)),
    vscode.commands.registerCommand(SHOW_LOG_COMMAND, () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("fxlens")) {
        debouncer.trigger();
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      debouncer.cancel();
      void server.reload();
    }),
  );
  await server.reload();
}

export async function deactivate(): Promise<void> {
  await manager?.dispose();
  manager = undefined;
}
