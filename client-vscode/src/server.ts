/** Starts, restarts and reconfigures the fxlens language server; one server per window. */

import { execFile } from "node:child_process";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  type Executable,
  LanguageClient,
  type LanguageClientOptions,
  ResponseError,
  RevealOutputChannelOn,
  State,
  TransportKind,
} from "vscode-languageclient/node";
import { chooseInterpreter, describeInterpreter, type Interpreter, startFailure } from "./interpreter";
import { answerConfiguration, type Launch, planReload, toOptions } from "./options";
import { parseStatus, STATUS_NOTIFICATION } from "./protocol";
import type { PythonExtensionBridge } from "./python";
import type { StatusBar } from "./statusBar";

const IMPORT_CHECK_TIMEOUT_MS = 30_000;

export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private launch: Launch | undefined;
  private queue: Promise<void> = Promise.resolve();
  private toldRestricted = false;
  private disposed = false;

  constructor(
    private readonly extensionPath: string,
    private readonly output: vscode.OutputChannel,
    private readonly statusBar: StatusBar,
    private readonly python: PythonExtensionBridge,
  ) {}

  /** The running client, for requests such as `fxlens/showNodes`. */
  get running(): LanguageClient | undefined {
    return this.client?.isRunning() ? this.client : undefined;
  }

  /**
   * Bring the server in line with the current settings, interpreter and trust: start, restart,
   * send the new settings, or nothing (`force` restarts regardless). Calls run one after another.
   */
  reload(force = false): Promise<void> {
    this.queue = this.queue.then(() => this.apply(force)).catch((error) => this.log(`fxlens: ${String(error)}`));
    return this.queue;
  }

  private async apply(force: boolean): Promise<void> {
    if (this.disposed) {
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    const trusted = vscode.workspace.isTrusted;
    const options = toOptions(vscode.workspace.getConfiguration("fxlens"), trusted, {
      home: os.homedir(),
      workspaceFolder: folder?.uri.fsPath,
    });
    const interpreter = chooseInterpreter({
      setting: options.interpreter,
      pythonExtension: trusted ? await this.python.activeInterpreter(folder?.uri) : undefined,
      trusted,
    });
    const next: Launch = { command: interpreter.command, options };
    const plan = force ? "restart" : planReload(this.client && this.launch, next);
    if (plan === "none") {
      return;
    }
    if (plan === "notify" && this.client !== undefined) {
      this.launch = next;
      this.log(`Settings changed: ${JSON.stringify(options)}`);
      await this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: { fxlens: options } });
      return;
    }
    await this.stop();
    await this.start(interpreter, next);
  }

  private async start(interpreter: Interpreter, launch: Launch): Promise<void> {
    this.statusBar.show({ kind: "starting", interpreter: interpreter.command });
    this.log(`Starting the server with ${describeInterpreter(interpreter)}; options ${JSON.stringify(launch.options)}`);
    const failure = startFailure(interpreter, await this.checkImport(interpreter.command));
    if (failure !== undefined) {
      this.log(failure);
      this.statusBar.show({ kind: "stopped", reason: failure });
      void vscode.window.showErrorMessage(failure, "Open Settings", "Show Log").then((choice) => {
        if (choice === "Open Settings") {
          void vscode.commands.executeCommand("workbench.action.openSettings", "fxlens.interpreter");
        } else if (choice === "Show Log") {
          this.output.show(true);
        }
      });
      return;
    }
    const client = new LanguageClient("fxlens", "fxlens", this.serverOptions(interpreter.command), this.clientOptions(launch));
    const executeCode = launch.options.executeCode;
    client.onNotification(STATUS_NOTIFICATION, (params: unknown) => {
      const status = parseStatus(params);
      if (status !== undefined) {
        this.statusBar.show({ kind: "running", status, interpreter: interpreter.command, executeCode });
      }
    });
    client.onDidChangeState(({ newState }) => {
      if (newState === State.Stopped && this.client === client) {
        this.statusBar.show({ kind: "stopped", reason: "the server stopped; see the fxlens output for its log" });
      }
    });
    this.client = client;
    this.launch = launch;
    try {
      await client.start();
    } catch (error) {
      this.log(`The server failed to start: ${String(error)}`);
      this.statusBar.show({ kind: "stopped", reason: `the server failed to start: ${String(error)}` });
      return;
    }
    this.statusBar.show({ kind: "running", status: { state: "idle", message: "ready" }, interpreter: interpreter.command, executeCode });
    if (!executeCode && !this.toldRestricted) {
      this.toldRestricted = true;
      void vscode.window
        .showInformationMessage(
          "fxlens: this workspace is not trusted, so fxlens runs no model code: it only parses your files and gives static diagnostics. Trust the workspace for node names, shapes and tracing diagnostics.",
          "Manage Workspace Trust",
        )
        .then((choice) => choice && vscode.commands.executeCommand("workbench.trust.manage"));
    }
  }

  private serverOptions(command: string): Executable {
    // The working directory is the extension's own, so `python -m fxlens` cannot import an
    // `fxlens` package from the workspace (`-m` puts the working directory on sys.path).
    return { command, args: ["-m", "fxlens", "serve"], transport: TransportKind.stdio, options: { cwd: this.extensionPath } };
  }

  private clientOptions(launch: Launch): LanguageClientOptions {
    return {
      documentSelector: [
        { scheme: "file", language: "python" },
        { scheme: "untitled", language: "python" },
      ],
      initializationOptions: launch.options,
      outputChannel: this.output,
      traceOutputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      middleware: {
        workspace: {
          configuration: async (params, token, next) => {
            const answered = await next(params, token);
            return answered instanceof ResponseError ? answered : answerConfiguration(params.items, answered, this.launch?.options);
          },
        },
      },
    };
  }

  /** Run `<python> -c "import fxlens"` where the server will run. */
  private checkImport(command: string): Promise<{ spawnError?: string; exitCode?: number | null; stderr?: string }> {
    return new Promise((resolve) => {
      execFile(command, ["-c", "import fxlens"], { cwd: this.extensionPath, timeout: IMPORT_CHECK_TIMEOUT_MS }, (error, _stdout, stderr) => {
        if (error === null) {
          resolve({ exitCode: 0 });
        } else if (typeof error.code === "string") {
          resolve({ spawnError: error.code === "ENOENT" ? "no such file or command" : error.message });
        } else {
          resolve({ exitCode: error.code ?? null, stderr: String(stderr) });
        }
      });
    });
  }

  private async stop(): Promise<void> {
    const client = this.client;
    const command = this.launch?.command;
    this.client = undefined;
    this.launch = undefined;
    if (client !== undefined) {
      this.log(`Stopping the server (${command})`);
      try {
        await client.dispose();
      } catch (error) {
        this.log(`The server did not stop cleanly: ${String(error)}`);
      }
    }
  }

  private log(line: string): void {
    this.output.appendLine(`[client] ${line}`);
  }

  /** Stop the server once the queued work is done; later reloads do nothing. */
  dispose(): Promise<void> {
    this.disposed = true;
    this.queue = this.queue.then(() => this.stop());
    return this.queue;
  }
}
