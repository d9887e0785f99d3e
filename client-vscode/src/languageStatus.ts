/** fxlens's entry in VS Code's language status for Python (the `{}` beside "Python"), as Pylance's. */

import * as vscode from "vscode";
import { SHOW_LOG_COMMAND } from "./commands";
import { type ClientState, type StatusSeverity, statusView } from "./status";

const SEVERITIES: Record<StatusSeverity, vscode.LanguageStatusSeverity> = {
  information: vscode.LanguageStatusSeverity.Information,
  warning: vscode.LanguageStatusSeverity.Warning,
  error: vscode.LanguageStatusSeverity.Error,
};

export class LanguageStatus implements vscode.Disposable {
  private readonly item = vscode.languages.createLanguageStatusItem("fxlens.status", { language: "python" });

  constructor() {
    this.item.name = "fxlens";
    this.item.command = { title: "Show Log", command: SHOW_LOG_COMMAND };
  }

  show(state: ClientState): void {
    const view = statusView(state);
    this.item.text = view.text;
    this.item.detail = view.detail;
    this.item.severity = SEVERITIES[view.severity];
    this.item.busy = view.busy;
    this.item.accessibilityInformation = { label: `fxlens: ${view.detail}` };
  }

  dispose(): void {
    this.item.dispose();
  }
}
