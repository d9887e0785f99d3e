/**
 * VS Code settings → the object the server receives as `initializationOptions` and as the
 * `workspace/configuration` section `fxlens`, and what a settings change requires of the server.
 */

import { expandPath, type PathContext } from "./interpreter";
import type { RuleCode, Severity } from "./rules";

export interface FxlensOptions {
  readonly interpreter: string | null;
  readonly traceTimeout: number;
  readonly defaultInputShape: readonly number[] | null; // null: unset, the server picks each model's input
  readonly rules: Readonly<Partial<Record<RuleCode, Severity>>>;
  readonly inlayHints: boolean;
  readonly executeCode: boolean;
}

export const DEFAULT_TRACE_TIMEOUT = 30;

/** The part of `vscode.WorkspaceConfiguration` (section `fxlens`) this module reads. */
export interface SettingsReader {
  get<T>(key: string): T | undefined;
}

/**
 * The options for the current settings. Values keep the user's spelling beyond defaults for unset
 * keys: the server validates them and names a bad one in a warning.
 */
export function toOptions(settings: SettingsReader, trusted: boolean, paths: PathContext): FxlensOptions {
  const interpreter = settings.get<string | null>("interpreter")?.trim();
  return {
    interpreter: interpreter ? expandPath(interpreter, paths) : null,
    traceTimeout: settings.get<number>("traceTimeout") ?? DEFAULT_TRACE_TIMEOUT,
    defaultInputShape: settings.get<number[] | null>("defaultInputShape") ?? null,
    rules: settings.get<Partial<Record<RuleCode, Severity>>>("rules") ?? {},
    inlayHints: settings.get<boolean>("inlayHints") ?? false,
    executeCode: trusted,
  };
}

/**
 * The reply to `workspace/configuration`: items for section `fxlens` get the options object (VS
 * Code's own answer would hold `trace.server` and lack `executeCode`), the others VS Code's answer.
 */
export function answerConfiguration(
  items: readonly { readonly section?: string }[],
  answered: readonly unknown[],
  options: FxlensOptions | undefined,
): unknown[] {
  return items.map((item, index) => (item.section === "fxlens" && options !== undefined ? options : answered[index]));
}

/** A server as launched: its interpreter, its arguments (bundled or installed fxlens) and the options it was given. */
export interface Launch {
  readonly command: string;
  readonly args: readonly string[];
  readonly options: FxlensOptions;
}

/**
 * What to do for `next` when `running` is the server's launch (undefined: no server runs):
 * a new interpreter or arguments or a change of code execution needs a new process; other settings reach the
 * running server by `workspace/didChangeConfiguration`, which keeps its traced models.
 */
export function planReload(running: Launch | undefined, next: Launch): "start" | "restart" | "notify" | "none" {
  if (running === undefined) {
    return "start";
  }
  const sameProcess = running.command === next.command && sameJson(running.args, next.args);
  if (!sameProcess || running.options.executeCode !== next.options.executeCode) {
    return "restart";
  }
  return sameJson(running.options, next.options) ? "none" : "notify";
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(canonical);
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
