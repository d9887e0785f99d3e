/**
 * The node view's page: a strict Content-Security-Policy (nothing remote; the one script and the
 * style only with this page's nonce), VS Code's theme variables for every colour, and the
 * elements the webview script fills. No `vscode` import.
 */

import { randomBytes } from "node:crypto";

export interface PageSources {
  /** The webview URI of dist/nodeView.js. */
  readonly scriptUri: string;
  /** Fresh for every page (`newNonce()`). */
  readonly nonce: string;
}

export function newNonce(): string {
  return randomBytes(18).toString("base64url");
}

export function contentSecurityPolicy(sources: PageSources): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${sources.nonce}'`,
    `style-src 'nonce-${sources.nonce}'`,
  ].join("; ");
}

export function nodeViewHtml(sources: PageSources): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(sources)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>fxlens nodes</title>
<style nonce="${sources.nonce}">${STYLE}</style>
</head>
<body>
<header>
  <h1 id="title">Nodes</h1>
  <span id="input" class="muted"></span>
</header>
<div id="error" class="error" role="alert" hidden></div>
<div class="controls">
  <input id="filter" type="search" placeholder="Filter nodes (name, op, module…)" aria-label="Filter nodes">
  <label><input id="tensors-only" type="checkbox"> tensors only</label>
  <span id="count" class="muted"></span>
</div>
<main>
  <section class="tree-pane" aria-label="Module tree"><h2>Modules</h2><div id="tree"></div></section>
  <section class="table-pane" aria-label="Nodes">
    <table>
      <thead><tr><th>#</th><th>node</th><th>op</th><th>what</th><th>module</th><th>train</th><th>eval</th><th></th></tr></thead>
      <tbody id="rows"></tbody>
    </table>
  </section>
</main>
<script nonce="${sources.nonce}" src="${sources.scriptUri}"></script>
</body>
</html>`;
}

const STYLE = `
body { color: var(--vscode-editor-foreground); background: var(--vscode-editor-background);
  font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 0 12px; }
header { display: flex; align-items: baseline; gap: 12px; }
h1 { font-size: 1.3em; font-weight: 600; }
h2 { font-size: 1em; font-weight: 600; margin: 4px 0; }
.muted, .returns, .index { color: var(--vscode-descriptionForeground); }
.error { color: var(--vscode-errorForeground); border: 1px solid var(--vscode-inputValidation-errorBorder); padding: 6px; }
.controls { display: flex; align-items: center; gap: 12px; margin: 8px 0; position: sticky; top: 0;
  background: var(--vscode-editor-background); padding: 4px 0; }
#filter { flex: 0 1 320px; color: var(--vscode-input-foreground); background: var(--vscode-input-background);
  border: 1px solid var(--vscode-input-border, transparent); padding: 3px 6px; }
#filter:focus { outline: 1px solid var(--vscode-focusBorder); }
main { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.tree-pane { flex: 1 1 280px; max-width: 440px; overflow: auto; font-family: var(--vscode-editor-font-family); }
.tree-label { white-space: nowrap; }
.tree-pane details > :not(summary), .tree-pane details > .leaf { margin-left: 14px; }
.leaf { margin-left: 14px; }
.table-pane { flex: 3 1 440px; overflow: auto; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-weight: 600; border-bottom: 1px solid var(--vscode-panel-border); }
td, th { padding: 2px 8px; white-space: nowrap; }
td.shape, .tree-label .shape, td.path, td.op { font-family: var(--vscode-editor-font-family); }
tbody tr:hover { background: var(--vscode-list-hoverBackground); }
tbody tr.selected, .tree-label.selected { background: var(--vscode-editor-findMatchHighlightBackground); }
button.pick { all: unset; cursor: pointer; color: var(--vscode-textLink-foreground);
  font-family: var(--vscode-editor-font-family); }
button.pick:hover { text-decoration: underline; }
button.pick:focus-visible { outline: 1px solid var(--vscode-focusBorder); }
.mark { font-size: 0.85em; border-radius: 3px; padding: 0 4px; margin-right: 4px;
  border: 1px solid var(--vscode-badge-background); }
.mark.chosen { background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); }
.mark.only { color: var(--vscode-editorWarning-foreground); border-color: var(--vscode-editorWarning-foreground); }
.mark.inplace { color: var(--vscode-editorInfo-foreground); border-color: var(--vscode-editorInfo-foreground); }
`;
