/**
 * The server's processes, spawned here rather than by vscode-languageclient so that the first can
 * start before its client does: its imports then overlap the preflight probe. The client takes that
 * process for its start and a new one for each restart after a crash.
 */

import { type ChildProcess, spawn } from "node:child_process";
import type { LaunchedServer } from "./lifecycle";
import type { FxlensOptions } from "./options";

/**
 * What the server's environment adds for `options`: in a trusted workspace `FXLENS_WARM_WORKER`, so
 * the server starts its tracing worker (and the worker's `import torch`) before its own imports,
 * with the interpreter `fxlens.interpreter` names, else (`1`) the server's own. A variable, not an
 * option: a server older than the extension ignores it.
 */
export function serverEnvironment(options: Pick<FxlensOptions, "executeCode" | "interpreter">): Record<string, string> {
  return options.executeCode ? { FXLENS_WARM_WORKER: options.interpreter ?? "1" } : {};
}

/** A server still running this long after its client stopped is killed (vscode-languageclient's own grace). */
const EXIT_GRACE_MS = 2_000;

export type ExitListener = (code: number | null, signal: NodeJS.Signals | null) => void;

export class ServerProcesses implements LaunchedServer {
  private unclaimed: ChildProcess | undefined;
  private current: ChildProcess | undefined;

  /** Spawns the first process at once, in `cwd`, with `env` added to this process's environment. */
  constructor(
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly cwd: string,
    private readonly env: Readonly<Record<string, string>> = {},
  ) {
    this.unclaimed = this.spawn();
  }

  /** The process for the client's next start: the launched one first, a new one after that; `onExit` hears its exit. */
  async next(onExit: ExitListener): Promise<ChildProcess> {
    const child = this.unclaimed ?? this.spawn();
    this.unclaimed = undefined;
    this.current = child;
    if (child.pid === undefined) {
      throw new Error(`Launching the server with ${this.command} failed.`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      onExit(child.exitCode, child.signalCode);
    } else {
      child.once("exit", onExit);
    }
    return child;
  }

  /** Kill the process no client took; the client's, if it has not exited `EXIT_GRACE_MS` after its stop. */
  kill(): void {
    this.unclaimed?.kill();
    this.unclaimed = undefined;
    const child = this.current;
    this.current = undefined;
    if (child !== undefined && running(child)) {
      setTimeout(() => running(child) && child.kill(), EXIT_GRACE_MS).unref();
    }
  }

  private spawn(): ChildProcess {
    const child = spawn(this.command, [...this.args], { cwd: this.cwd, env: { ...process.env, ...this.env }, stdio: "pipe" });
    // A failed spawn is reported by the preflight (or by `next`); the event must not go unheard.
    child.on("error", () => undefined);
    return child;
  }
}

function running(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}
