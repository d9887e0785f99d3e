/** The messages between the node view's panel (extension side) and its webview script. */

import type { NodeTableReply } from "./nodeTable";

/** Extension → webview: the table to show, or why there is none. */
export type ToView = { readonly type: "show"; readonly reply: NodeTableReply } | { readonly type: "error"; readonly message: string };

/** Webview → extension: the script is ready for the table; the user picked a node name or module path. */
export type FromView = { readonly type: "ready" } | { readonly type: "pick"; readonly name: string };

/** The webview's message if it is one of ours (a webview's messages are not trusted blindly). */
export function parseFromView(value: unknown): FromView | undefined {
  if (value === null || typeof value !== "object") {
    return undefined;
  }
  const message = value as Record<string, unknown>;
  if (message.type === "ready") {
    return { type: "ready" };
  }
  if (message.type === "pick" && typeof message.name === "string" && /^[\w.]+$/.test(message.name)) {
    return { type: "pick", name: message.name };
  }
  return undefined;
}
