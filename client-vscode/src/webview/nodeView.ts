/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The node view's script, running in the webview (bundled to dist/nodeView.js): renders the
 * extension's table as a filterable node list and a collapsible module tree, and reports clicks.
 * It builds elements with `textContent` only, so no name from the model is ever parsed as HTML.
 */

import { buildModuleTree, buildRows, filterRows, MODES, type ModuleItem, type NodeRow, type RowFilter } from "../nodeTable";
import type { FromView, ToView } from "../nodeViewMessages";

interface VsCodeApi {
  postMessage(message: FromView): void;
  getState(): RowFilter | undefined;
  setState(state: RowFilter): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const filterBox = document.getElementById("filter") as HTMLInputElement;
const tensorsOnly = document.getElementById("tensors-only") as HTMLInputElement;
const saved = vscode.getState();
filterBox.value = saved?.text ?? "";
tensorsOnly.checked = saved?.tensorsOnly ?? false;
let rows: NodeRow[] = [];

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text = "", className = ""): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  made.textContent = text;
  if (className) {
    made.className = className;
  }
  return made;
}

function pickButton(name: string, label: string): HTMLButtonElement {
  const button = element("button", label, "pick");
  button.title = `Insert "${name}" into the call's node argument`;
  button.dataset.name = name;
  return button;
}

function renderRows(): void {
  const filter: RowFilter = { text: filterBox.value, tensorsOnly: tensorsOnly.checked };
  vscode.setState(filter);
  const shown = filterRows(rows, filter);
  const body = document.getElementById("rows") as HTMLTableSectionElement;
  body.replaceChildren(
    ...shown.map((row) => {
      const tr = element("tr", "", row.selectedIn.length > 0 ? "selected" : "");
      tr.dataset.name = row.name;
      const name = element("td");
      name.append(pickButton(row.name, row.name));
      const marks = element("td");
      if (row.selectedIn.length > 0) {
        marks.append(element("span", row.selectedIn.length === 2 ? "selected" : `selected (${row.selectedIn[0]})`, "mark chosen"));
      }
      if (row.only) {
        marks.append(element("span", row.only, "mark only"));
      }
      for (const [mode, by] of Object.entries(row.overwrittenBy)) {
        marks.append(element("span", `overwritten by ${by}${Object.keys(row.overwrittenBy).length < 2 ? "" : ` (${mode})`}`, "mark inplace"));
      }
      const cells = [
        element("td", String(row.index), "index"),
        name,
        element("td", row.op, "op"),
        element("td", row.what),
        element("td", row.modulePath, "path"),
        ...MODES.map((mode) => element("td", row.shapes[mode] ?? "—", "shape")),
        marks,
      ];
      tr.append(...cells);
      return tr;
    }),
  );
  (document.getElementById("count") as HTMLElement).textContent = `${shown.length} of ${rows.length} nodes`;
}

function treeItem(item: ModuleItem): HTMLElement {
  const label = element("span", "", item.selected ? "tree-label selected" : "tree-label");
  label.append(pickButton(item.path, item.label), element("span", ` → ${item.shape}`, "shape"));
  if (item.returns !== item.path) {
    label.append(element("span", ` (${item.returns})`, "returns"));
  }
  if (item.children.length === 0) {
    const leaf = element("div", "", "leaf");
    leaf.append(label);
    return leaf;
  }
  const details = element("details");
  const summary = element("summary");
  summary.append(label);
  details.append(summary, ...item.children.map(treeItem));
  return details;
}

function show(message: ToView): void {
  const error = document.getElementById("error") as HTMLElement;
  if (message.type === "error") {
    error.textContent = message.message;
    error.hidden = false;
    return;
  }
  error.hidden = true;
  const { reply } = message;
  (document.getElementById("title") as HTMLElement).textContent = reply.title;
  (document.getElementById("input") as HTMLElement).textContent = reply.input ? `example input ${reply.input}` : "";
  rows = buildRows(reply);
  const open = new Set([...document.querySelectorAll<HTMLElement>("#tree details[open] > summary .pick")].map((b) => b.dataset.name));
  const tree = document.getElementById("tree") as HTMLElement;
  tree.replaceChildren(...buildModuleTree(rows).map(treeItem));
  for (const details of tree.querySelectorAll<HTMLDetailsElement>("details")) {
    details.open = open.has(details.querySelector<HTMLElement>(":scope > summary .pick")?.dataset.name);
  }
  renderRows();
}

document.addEventListener("click", (event) => {
  const button = (event.target as HTMLElement).closest<HTMLElement>("button.pick");
  if (button?.dataset.name !== undefined) {
    event.preventDefault(); // inside a summary: insert, do not fold
    vscode.postMessage({ type: "pick", name: button.dataset.name });
  }
});
filterBox.addEventListener("input", renderRows);
tensorsOnly.addEventListener("change", renderRows);
window.addEventListener("message", (event: MessageEvent<ToView>) => show(event.data));
vscode.postMessage({ type: "ready" });
