/** The interpreter selected in the Python extension, read through its API package when it is installed. */

import { PVSC_EXTENSION_ID, PythonExtension } from "@vscode/python-extension";
import * as vscode from "vscode";

export class PythonExtensionBridge implements vscode.Disposable {
  private api: PythonExtension | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  /** `onChange` runs when the active interpreter changes or the Python extension appears. */
  constructor(
    private readonly onChange: () => void,
    private readonly log: (line: string) => void,
  ) {
    this.subscriptions.push(
      vscode.extensions.onDidChange(() => {
        if (this.api === undefined && this.installed) {
          this.onChange();
        }
      }),
    );
  }

  /** The Python extension is installed (its interpreter picker, `python.setInterpreter`, can be offered). */
  get installed(): boolean {
    return vscode.extensions.getExtension(PVSC_EXTENSION_ID) !== undefined;
  }

  /** The active interpreter's executable for `resource`'s folder, or undefined without the extension. */
  async activeInterpreter(resource: vscode.Uri | undefined): Promise<string | undefined> {
    const api = await this.connect();
    if (api === undefined) {
      return undefined;
    }
    try {
      const environment = await api.environments.resolveEnvironment(api.environments.getActiveEnvironmentPath(resource));
      return environment?.executable.uri?.fsPath;
    } catch (error) {
      this.log(`The Python extension could not resolve its active interpreter: ${String(error)}`);
      return undefined;
    }
  }

  private async connect(): Promise<PythonExtension | undefined> {
    if (this.api !== undefined || !this.installed) {
      return this.api;
    }
    try {
      this.api = await PythonExtension.api();
    } catch (error) {
      this.log(`The Python extension is installed but its API is unavailable: ${String(error)}`);
      return undefined;
    }
    this.subscriptions.push(this.api.environments.onDidChangeActiveEnvironmentPath(() => this.onChange()));
    return this.api;
  }

  dispose(): void {
    this.subscriptions.forEach((subscription) => subscription.dispose());
  }
}
