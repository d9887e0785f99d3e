/** Activation: wires settings, trust, the Python extension, commands and the status bar to the server. */

import * as vscode from "vscode";
import { RESTART_COMMAND, SHOW_LOG_COMMAND, SHOW_NODES_COMMAND } from "./commands";
import { Debouncer } from "./debounce";
import type { Logger } from "./log";
import { PythonExtensionBridge } from "./python";
import { ServerManager } from "./server";
import { showNodes } from "./showNodes";
import { StatusBar } from "./statusBar";

/** Settings edits and interpreter switches within this many milliseconds cause one reload. */
const RELOAD_DELAY_MS = 500;

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("fxlens");
  const line = (level: string) => (message: string) => output.appendLine(`[client] ${level}${message}`);
  const log: Logger = { trace: line(""), debug: line(""), info: line(""), warn: line("warning: "), error: line("error: ") };
  const statusBar = new StatusBar();
  const debouncer = new Debouncer(RELOAD_DELAY_MS, () => void manager?.reload());
  const python = new PythonExtensionBridge(
    () => debouncer.trigger(),
    (message) => log.warn(message),
  );
  manager = new ServerManager(context.extensionPath, output, statusBar, python, log);
  const server = manager;

  context.subscriptions.push(
    output,
    statusBar,
    python,
    { dispose: () => debouncer.cancel() },
    vscode.commands.registerCommand(RESTART_COMMAND, () => {
      debouncer.cancel();
      return server.reload(true);
    }),
    vscode.commands.registerCommand(SHOW_NODES_COMMAND, () => showNodes(server)),
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
