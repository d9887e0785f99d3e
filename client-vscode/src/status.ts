/** The status bar item's text, tooltip and colour for the server's state. */

export type ServerState = "idle" | "tracing" | "error";

/** The params of the `fxlens/status` notification. */
export interface ServerStatus {
  readonly state: ServerState;
  readonly message: string;
}

/** The client's own view: the server's reported status, or where the process itself is. */
export type ClientState =
  | { readonly kind: "starting"; readonly interpreter: string }
  | { readonly kind: "running"; readonly status: ServerStatus; readonly interpreter: string; readonly executeCode: boolean }
  | { readonly kind: "stopped"; readonly reason: string };

export interface StatusView {
  readonly text: string;
  readonly tooltip: string;
  /** `error` and `warning` map to the status bar's error/warning background colours. */
  readonly background: "error" | "warning" | undefined;
}

/** A `fxlens/status` params object, or undefined for anything else (the server is a separate program). */
export function parseStatus(params: unknown): ServerStatus | undefined {
  if (params === null || typeof params !== "object") {
    return undefined;
  }
  const { state, message } = params as Record<string, unknown>;
  if ((state !== "idle" && state !== "tracing" && state !== "error") || typeof message !== "string") {
    return undefined;
  }
  return { state, message };
}

const MAX_TEXT = 48;

export function statusView(state: ClientState): StatusView {
  switch (state.kind) {
    case "starting":
      return { text: "$(loading~spin) fxlens", tooltip: `fxlens: starting the server with ${state.interpreter}`, background: undefined };
    case "stopped":
      return { text: "$(circle-slash) fxlens", tooltip: `fxlens: ${state.reason}`, background: "error" };
    case "running": {
      const restricted = state.executeCode ? "" : "\nRestricted mode: this workspace is not trusted, so no model code runs (static diagnostics only).";
      const tooltip = `fxlens: ${state.status.message || state.status.state}\nServer: ${state.interpreter}${restricted}`;
      if (state.status.state === "tracing") {
        return { text: `$(sync~spin) fxlens: ${shorten(state.status.message || "tracing")}`, tooltip, background: undefined };
      }
      if (state.status.state === "error") {
        return { text: "$(error) fxlens", tooltip, background: "error" };
      }
      return state.executeCode
        ? { text: "$(check) fxlens", tooltip, background: undefined }
        : { text: "$(shield) fxlens (restricted)", tooltip, background: "warning" };
    }
  }
}

function shorten(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 1)}…`;
}
