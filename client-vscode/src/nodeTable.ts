/**
 * The node view's data: the server's `fxlens/nodeTable` reply checked, turned into rows (every node
 * of both modes in execution order) and a module tree, and filtered. No `vscode` or DOM import: the
 * extension and the webview script both use it, and the unit tests cover it.
 */

export type Mode = "train" | "eval";
export const MODES: readonly Mode[] = ["train", "eval"];

export interface LspPosition {
  readonly line: number;
  readonly character: number;
}

export interface LspRange {
  readonly start: LspPosition;
  readonly end: LspPosition;
}

/** A node-argument collection of the call, where it is written in the document. */
export interface ArgumentLiteral {
  readonly kind: string;
  readonly form: string;
  readonly range: LspRange;
}

interface TensorJson {
  readonly shape: readonly number[];
  readonly dtype: string;
}

interface OutputJson {
  readonly kind: "tensor" | "sequence" | "other";
  readonly tensors: readonly TensorJson[];
  readonly type_name: string;
}

/** One node as `NodeInfo.to_json()` writes it (the fields the view reads). */
export interface NodeJson {
  readonly name: string;
  readonly op: string;
  readonly target: string;
  readonly module_path: string;
  readonly module_type: string;
  readonly output: OutputJson | null;
  readonly overwritten_by: string;
}

export interface NodeTableReply {
  readonly title: string;
  readonly model: string;
  readonly table: { readonly train: readonly NodeJson[]; readonly eval: readonly NodeJson[] };
  readonly selected: Readonly<Record<Mode, readonly string[]>>;
  readonly input: string;
  readonly arguments: readonly ArgumentLiteral[];
}

/** One row of the view: a node name, with what it is and returns in each mode that has it. */
export interface NodeRow {
  readonly index: number;
  readonly name: string;
  readonly op: string;
  /** The module's class for a module call (last component), else the readable target. */
  readonly what: string;
  readonly modulePath: string;
  readonly moduleType: string;
  /** The output per mode ("?" when shapes are unknown); a mode without the node is absent. */
  readonly shapes: Partial<Record<Mode, string>>;
  /** "train only", "eval only" or "". */
  readonly only: string;
  /** The in-place node that overwrites this output, per mode that has one. */
  readonly overwrittenBy: Partial<Record<Mode, string>>;
  /** False when every mode knows the output and none is a tensor. */
  readonly tensor: boolean;
  /** The modes in which the call's argument returns this node. */
  readonly selectedIn: readonly Mode[];
}

/** A module (a dotted prefix of node names) or a top-level node, with what its name as a query returns. */
export interface ModuleItem {
  readonly path: string;
  readonly label: string;
  /** The node a query for this path returns: the last one executed under it. */
  readonly returns: string;
  readonly shape: string;
  readonly selected: boolean;
  readonly children: readonly ModuleItem[];
}

export interface RowFilter {
  readonly text: string;
  readonly tensorsOnly: boolean;
}

/** The reply if it has the shape the view needs, else undefined (the server is another program). */
export function parseNodeTableReply(value: unknown): NodeTableReply | undefined {
  if (!isObject(value)) {
    return undefined;
  }
  const { title, model, table, selected, input } = value;
  const args = value.arguments ?? [];
  if (typeof title !== "string" || typeof model !== "string" || typeof input !== "string") {
    return undefined;
  }
  if (!isObject(table) || !isObject(selected) || !Array.isArray(args) || !args.every(isArgument)) {
    return undefined;
  }
  for (const mode of MODES) {
    const nodes = table[mode];
    const names = selected[mode];
    if (!Array.isArray(nodes) || !nodes.every(isNode) || !Array.isArray(names) || !names.every((n) => typeof n === "string")) {
      return undefined;
    }
  }
  return value as unknown as NodeTableReply;
}

/** `1×64×56×56`, `tuple(1×10, 1×10)` or `not a tensor (int)`, as the server's `OutputDesc.describe`. */
export function describeOutput(output: OutputJson | null): string {
  if (output === null) {
    return "?";
  }
  const tensor = (t: TensorJson) => {
    const dims = t.shape.length > 0 ? t.shape.join("×") : "scalar";
    return t.dtype === "float32" ? dims : `${dims} ${t.dtype}`;
  };
  if (output.kind === "tensor") {
    return output.tensors.length > 0 ? tensor(output.tensors[0]) : "tensor";
  }
  if (output.kind === "sequence") {
    return `${output.type_name}(${output.tensors.map(tensor).join(", ")})`;
  }
  return output.type_name ? `not a tensor (${output.type_name})` : "not a tensor";
}

/**
 * Every node of both modes in execution order: train's order, with each eval-only node placed
 * after the node eval runs before it.
 */
export function nodeOrder(train: readonly string[], evaluation: readonly string[]): string[] {
  const inTrain = new Set(train);
  const after = new Map<string, string[]>(); // a node → the eval-only nodes that follow it in eval
  const leading: string[] = [];
  let previous: string | undefined;
  for (const name of evaluation) {
    if (inTrain.has(name)) {
      previous = name;
    } else if (previous === undefined) {
      leading.push(name);
    } else {
      after.set(previous, [...(after.get(previous) ?? []), name]);
    }
  }
  return [...leading, ...train.flatMap((name) => [name, ...(after.get(name) ?? [])])];
}

export function buildRows(reply: NodeTableReply): NodeRow[] {
  const byMode = {
    train: new Map(reply.table.train.map((node) => [node.name, node])),
    eval: new Map(reply.table.eval.map((node) => [node.name, node])),
  };
  const selected = { train: new Set(reply.selected.train), eval: new Set(reply.selected.eval) };
  const order = nodeOrder(
    reply.table.train.map((node) => node.name),
    reply.table.eval.map((node) => node.name),
  );
  return order.map((name, index) => {
    const present = MODES.filter((mode) => byMode[mode].has(name));
    const node = (byMode.eval.get(name) ?? byMode.train.get(name)) as NodeJson;
    const shapes: Partial<Record<Mode, string>> = {};
    const overwrittenBy: Partial<Record<Mode, string>> = {};
    for (const mode of present) {
      const inMode = byMode[mode].get(name) as NodeJson;
      shapes[mode] = describeOutput(inMode.output);
      if (inMode.overwritten_by) {
        overwrittenBy[mode] = inMode.overwritten_by;
      }
    }
    const outputs = present.map((mode) => (byMode[mode].get(name) as NodeJson).output);
    return {
      index,
      name,
      op: node.op,
      what: node.op === "call_module" ? lastComponent(node.module_type) : node.target,
      modulePath: node.module_path,
      moduleType: node.module_type,
      shapes,
      only: present.length === 2 ? "" : `${present[0]} only`,
      overwrittenBy,
      tensor: outputs.some((output) => output === null || output.kind === "tensor"),
      selectedIn: MODES.filter((mode) => selected[mode].has(name)),
    };
  });
}

/** The rows the filter keeps: every word of `text` (case-insensitive) in the row's name, op, target or module. */
export function filterRows(rows: readonly NodeRow[], filter: RowFilter): NodeRow[] {
  const words = filter.text.toLowerCase().split(/\s+/).filter((word) => word.length > 0);
  return rows.filter((row) => {
    if (filter.tensorsOnly && !row.tensor) {
      return false;
    }
    const haystack = `${row.name} ${row.op} ${row.what} ${row.modulePath} ${row.moduleType}`.toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}

/**
 * The module tree of the rows' names: each dotted prefix is an item whose children are the longer
 * prefixes under it; each item says which node its path selects as a query (torchvision's rule:
 * the last node executed under it) and that node's shape.
 */
export function buildModuleTree(rows: readonly NodeRow[]): ModuleItem[] {
  interface Draft {
    path: string;
    last: NodeRow;
    children: Map<string, Draft>;
  }
  const root = new Map<string, Draft>();
  for (const row of rows) {
    const parts = row.name.split(".");
    let level = root;
    for (let depth = 1; depth <= parts.length; depth++) {
      const path = parts.slice(0, depth).join(".");
      let draft = level.get(path);
      if (draft === undefined) {
        draft = { path, last: row, children: new Map() };
        level.set(path, draft);
      }
      draft.last = row;
      level = draft.children;
    }
  }
  const finish = (draft: Draft): ModuleItem => ({
    path: draft.path,
    label: lastComponent(draft.path),
    returns: draft.last.name,
    shape: draft.last.shapes.eval ?? draft.last.shapes.train ?? "?",
    selected: draft.last.selectedIn.length > 0,
    children: [...draft.children.values()].map(finish),
  });
  return [...root.values()].map(finish);
}

function lastComponent(dotted: string): string {
  return dotted.slice(dotted.lastIndexOf(".") + 1);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isNode(value: unknown): value is NodeJson {
  return (
    isObject(value) &&
    typeof value.name === "string" &&
    typeof value.op === "string" &&
    typeof value.target === "string" &&
    typeof value.module_path === "string" &&
    typeof value.module_type === "string" &&
    typeof value.overwritten_by === "string" &&
    (value.output === null || (isObject(value.output) && Array.isArray(value.output.tensors)))
  );
}

function isPosition(value: unknown): value is LspPosition {
  return isObject(value) && typeof value.line === "number" && typeof value.character === "number";
}

function isArgument(value: unknown): value is ArgumentLiteral {
  return (
    isObject(value) &&
    typeof value.kind === "string" &&
    typeof value.form === "string" &&
    isObject(value.range) &&
    isPosition(value.range.start) &&
    isPosition(value.range.end)
  );
}
