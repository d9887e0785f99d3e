/**
 * What the language status item for Python shows for the server's state. Red (error severity) is
 * for a broken extension or server only; a problem in the user's model is a diagnostic, and one in
 * the environment (no torch, a worker that cannot start) is a warning.
 */

export type ServerState = "idle" | "tracing" | "error";

/** The params of the `fxlens/status` notification. */
export interface ServerStatus {
  readonly state: ServerState;
  readonly message: string;
}

/** The client's own view: the server's reported status, or where the process itself is. */
export type ClientState =
  | { readonly kind: "starting"; readonly interpreter: string }
  | {
      readonly kind: "running";
      readonly status: ServerStatus;
      readonly interpreter: string;
      readonly executeCode: boolean;
      /** What the preflight found missing that limits the server (no torch: nothing is traced). */
      readonly limitation?: string;
    }
  | { readonly kind: "stopped"; readonly reason: string };

export type StatusSeverity = "information" | "warning" | "error";

export interface StatusView {
  /** The item's short text (codicons allowed). */
  readonly text: string;
  /** The longer text beside it in the language status hover. */
  readonly detail: string;
  readonly severity: StatusSeverity;
  /** A spinner on the language status: the server is starting or tracing. */
  readonly busy: boolean;
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
      return { text: "$(loading~spin) fxlens", detail: `starting the server with ${state.interpreter}`, severity: "information", busy: true };
    case "stopped":
      return { text: "$(circle-slash) fxlens", detail: state.reason, severity: "error", busy: false };
    case "running": {
      const server = `Server: ${state.interpreter}`;
      const restricted = state.executeCode ? "" : " · restricted mode: this workspace is not trusted, so no model code runs (static diagnostics only)";
      const detail = (message: string) => `${message} · ${server}${restricted}`;
      if (state.status.state === "tracing") {
        return { text: `$(sync~spin) fxlens: ${shorten(state.status.message || "tracing")}`, detail: detail(state.status.message), severity: "information", busy: true };
      }
      if (state.status.state === "error") {
        return { text: "$(warning) fxlens", detail: detail(state.status.message), severity: "warning", busy: false };
      }
      if (state.limitation !== undefined) {
        return { text: "$(warning) fxlens: no tracing", detail: detail(state.limitation), severity: "warning", busy: false };
      }
      return state.executeCode
        ? { text: "$(check) fxlens", detail: detail(state.status.message || "ready"), severity: "information", busy: false }
        : { text: "$(shield) fxlens (restricted)", detail: detail(state.status.message || "ready"), severity: "information", busy: false };
    }
  }
}

function shorten(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 1)}…`;
}
