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
