/** fxlens's own LSP messages, beyond the standard ones; the server is another program, so replies are checked. */

export { parseStatus, type ServerStatus } from "./status";

/** Server → client notification: `{ state, message }` for the status bar. */
export const STATUS_NOTIFICATION = "fxlens/status";

/** Client → server request: the node table of the model under the cursor. */
export const SHOW_NODES_REQUEST = "fxlens/showNodes";

export interface ShowNodesParams {
  readonly textDocument: { readonly uri: string };
  readonly position: { readonly line: number; readonly character: number };
}

export interface ShowNodesResult {
  readonly title: string;
  readonly markdown: string;
}

export function parseShowNodesResult(value: unknown): ShowNodesResult | undefined {
  if (value === null || typeof value !== "object") {
    return undefined;
  }
  const { title, markdown } = value as Record<string, unknown>;
  return typeof title === "string" && typeof markdown === "string" ? { title, markdown } : undefined;
}

/** Client → server request (same params): the node table as data, with what the call selects (see `nodeTable.ts`). */
export const NODE_TABLE_REQUEST = "fxlens/nodeTable";

/**
 * The document and position `fxlens.showNodes` was given: the server's code lens passes
 * `[uri, {line, character}]`; from the command palette there are none (undefined).
 */
export function showNodesTarget(uri: unknown, position: unknown): { uri: string; position: ShowNodesParams["position"] } | undefined {
  if (typeof uri !== "string" || position === null || typeof position !== "object") {
    return undefined;
  }
  const { line, character } = position as Record<string, unknown>;
  return Number.isInteger(line) && Number.isInteger(character) ? { uri, position: { line: line as number, character: character as number } } : undefined;
}
