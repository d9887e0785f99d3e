/**
 * Activation: wires settings, trust, the Python extension, commands and the language status to the
 * server. The server is started when this module loads: VS Code loads it 1–2 s before it calls
 * `activate` (it first reads the extension's stored state), and the server's start needs none of it.
 */

import * as path from "node:path";
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

/** The server, its log and status, and what reloads it; made once, when the module loads. */
interface Started {
  readonly manager: ServerManager;
  readonly debouncer: Debouncer;
  /** The first reload (the server's start). */
  readonly reloaded: Promise<void>;
  readonly disposables: vscode.Disposable[];
}

/** Start the server for the extension in `extensionPath` (the bundle is in its `dist/`). */
function startServer(extensionPath: string): Started {
  const output = vscode.window.createOutputChannel("fxlens", { log: true });
  const status = new LanguageStatus();
  const debouncer = new Debouncer(RELOAD_DELAY_MS, () => void manager.reload());
  const python = new PythonExtensionBridge(
    () => debouncer.trigger(),
    (message) => output.warn(message),
  );
  const manager = new ServerManager(extensionPath, output, status, python);
  const disposables = [
    output,
    status,
    python,
    { dispose: () => debouncer.cancel() },
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("fxlens")) {
        debouncer.trigger();
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      debouncer.cancel();
      void manager.reload();
    }),
  ];
  return { manager, debouncer, reloaded: manager.reload(), disposables };
}

let started: Started | undefined = startServer(path.dirname(__dirname));

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  started ??= startServer(context.extensionPath);
  const { manager: server, debouncer, reloaded, disposables } = started;
  const nodes = new NodePanel(server, context.extensionUri);
  context.subscriptions.push(
    ...disposables,
    nodes,
    vscode.commands.registerCommand(RESTART_COMMAND, () => {
      debouncer.cancel();
      return server.reload(true);
    }),
    vscode.commands.registerCommand(SHOW_NODES_COMMAND, (uri?: unknown, position?: unknown) => showNodes(nodes, uri, position)),
    vscode.commands.registerCommand(SHOW_LOG_COMMAND, () => server.showLog()),
  );
  await reloaded;
}

export async function deactivate(): Promise<void> {
  const stopping = started?.manager.dispose();
  started = undefined;
  await stopping;
}
