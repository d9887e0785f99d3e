/** The status bar item: renders `statusView` and opens the server log when clicked. */

import * as vscode from "vscode";
import { SHOW_LOG_COMMAND } from "./commands";
import { type ClientState, statusView } from "./status";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("status", vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = "fxlens";
    this.item.command = SHOW_LOG_COMMAND;
  }

  show(state: ClientState): void {
    const view = statusView(state);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.background && new vscode.ThemeColor(`statusBarItem.${view.background}Background`);
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
