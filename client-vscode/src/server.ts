/**
 * The VS Code side of the server's lifecycle: reads settings, trust and the Python extension's
 * interpreter, runs the preflight, builds clients and shows problems; `ServerLifecycle` owns restarts.
 */

import { existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { bundlePaths, serverCommand } from "./bundle";
import { createClient, type FxlensClient, launchServer } from "./client";
import { CompletionRefill, type Spot } from "./completionRefill";
import { chooseInterpreter } from "./interpreter";
import { type LifecycleHost, ServerLifecycle, type Target } from "./lifecycle";
import type { Logger } from "./log";
import { toOptions } from "./options";
import { type Problem, preflightProblem, type Remedy, runCheck } from "./preflight";
import type { PythonExtensionBridge } from "./python";
import type { ServerProcesses } from "./serverProcess";
import type { ClientState } from "./status";
import type { LanguageStatus } from "./languageStatus";

const REMEDY_LABELS: Record<Remedy, string> = {
  selectInterpreter: "Select Interpreter",
  openSettings: "Open Settings",
  showLog: "Show Log",
};

export class ServerManager implements LifecycleHost<FxlensClient, ServerProcesses>, vscode.Disposable {
  private readonly lifecycle = new ServerLifecycle<FxlensClient, ServerProcesses>(this);
  private toldRestricted = false;
  private readonly refill = new CompletionRefill();

  constructor(
    private readonly extensionPath: string,
    private readonly output: vscode.LogOutputChannel,
    private readonly status: LanguageStatus,
    private readonly python: PythonExtensionBridge,
  ) {}

  get log(): Logger {
    return this.output;
  }

  /** Show the fxlens log (the extension's and the server's messages). */
  showLog(): void {
    this.output.show(true);
  }

  /** The running client, for requests such as `fxlens/showNodes`. */
  get running(): FxlensClient | undefined {
    return this.lifecycle.running;
  }

  /** Start, restart, reconfigure or leave the server (see `ServerLifecycle.reload`). */
  reload(force = false): Promise<void> {
    return this.lifecycle.reload(force);
  }

  async target(): Promise<Target> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const trusted = vscode.workspace.isTrusted;
    const settings = vscode.workspace.getConfiguration("fxlens", folder?.uri);
    const options = toOptions(settings, trusted, {
      home: os.homedir(),
      workspaceFolder: folder?.uri.fsPath,
    });
    const interpreter = chooseInterpreter({
      setting: options.interpreter,
      pythonExtension: trusted ? await this.python.activeInterpreter(folder?.uri) : undefined,
      trusted,
    });
    const bundle = bundlePaths(this.extensionPath);
    const server = serverCommand(settings.get<string>("importStrategy"), bundle, existsSync(path.join(bundle.libs, "fxlens")));
    return { interpreter, launch: { command: interpreter.command, args: server.args, options }, bundleLibs: server.libs };
  }

  async preflight(target: Target): Promise<Problem | undefined> {
    const run = await runCheck(target.interpreter.command, this.extensionPath, target.bundleLibs);
    if ("exitCode" in run) {
      this.log.debug(`Preflight of ${target.interpreter.command}: ${run.stdout.trim()}`);
    }
    return preflightProblem(target.interpreter, run, {
      executeCode: target.launch.options.executeCode,
      canSelect: this.python.installed,
      bundled: target.bundleLibs !== undefined,
    });
  }

  launch(target: Target): ServerProcesses {
    return launchServer(target, this.extensionPath);
  }

  createClient(target: Target, launched: ServerProcesses): FxlensClient {
    return createClient(target, launched, {
      extensionPath: this.extensionPath,
      output: this.output,
      currentOptions: () => this.lifecycle.options,
      refill: this.refill,
    });
  }

  showStatus(state: ClientState): void {
    this.status.show(state);
    if (state.kind === "running" && state.status.state === "idle" && this.refill.traced(cursorSpot(vscode.window.activeTextEditor))) {
      void vscode.commands.executeCommand("editor.action.triggerSuggest");
    }
  }

  report(problem: Problem): void {
    const show = problem.fatal ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    const labels = problem.remedies.map((remedy) => REMEDY_LABELS[remedy]);
    void show(problem.message, ...labels).then((choice) => {
      const remedy = problem.remedies.find((candidate) => REMEDY_LABELS[candidate] === choice);
      if (remedy !== undefined) {
        void this.apply(remedy);
      }
    });
  }

  started(target: Target): void {
    if (target.launch.options.executeCode || this.toldRestricted) {
      return;
    }
    this.toldRestricted = true;
    void vscode.window
      .showInformationMessage(
        "fxlens: this workspace is not trusted, so fxlens runs no model code: it only parses your files and gives static diagnostics. Trust the workspace for node names, shapes and tracing diagnostics.",
        "Manage Workspace Trust",
      )
      .then((choice) => choice && vscode.commands.executeCommand("workbench.trust.manage"));
  }

  private async apply(remedy: Remedy): Promise<void> {
    switch (remedy) {
      case "selectInterpreter":
        await vscode.commands.executeCommand("python.setInterpreter");
        return;
      case "openSettings":
        // By id: the query finds the setting in the User tab of a remote window too (its scope is `resource`).
        await vscode.commands.executeCommand("workbench.action.openSettings", "@id:fxlens.interpreter");
        return;
      case "showLog":
        this.showLog();
        return;
    }
  }

  /** Stop the server once the queued work is done; later reloads do nothing. */
  dispose(): Promise<void> {
    return this.lifecycle.dispose();
  }
}

/** The cursor of `editor` when it is one empty selection, else undefined. */
function cursorSpot(editor: vscode.TextEditor | undefined): Spot | undefined {
  if (editor === undefined || editor.selections.length !== 1 || !editor.selection.isEmpty) {
    return undefined;
  }
  const { line, character } = editor.selection.active;
  return { uri: editor.document.uri.toString(), line, character, lineText: editor.document.lineAt(line).text };
}
