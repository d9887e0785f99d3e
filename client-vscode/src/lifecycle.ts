/**
 * Owns the server's restarts: one client at a time, reloads run one after another, and every
 * subscription made for a client is disposed with it, so a restart leaves no handler behind.
 * Knows nothing of VS Code: the host (`server.ts`) reads the settings, preflights, launches server
 * processes, builds clients and shows what happens. A server's process is launched as its preflight
 * starts (its imports overlap the probe); its client starts once the probe says it may.
 */

import type { Interpreter } from "./interpreter";
import type { Logger } from "./log";
import { type FxlensOptions, type Launch, planReload } from "./options";
import type { Problem } from "./preflight";
import { parseStatus, STATUS_NOTIFICATION } from "./protocol";
import type { ClientState } from "./status";

export interface Subscription {
  dispose(): void;
}

/** The part of a language client the lifecycle drives (`client.ts` adapts vscode-languageclient's). */
export interface ServerClient {
  start(): Promise<void>;
  /** Stop the server (shutdown, exit) and release the client. */
  dispose(): Promise<void>;
  isRunning(): boolean;
  onNotification(method: string, handler: (params: unknown) => void): Subscription;
  /** `listener` runs when the client reaches its stopped state (after a failed start, a crash, a stop). */
  onDidStop(listener: () => void): Subscription;
  /** `workspace/didChangeConfiguration` with the new options. */
  sendSettings(options: FxlensOptions): Promise<void>;
}

/** A server to run: the interpreter and what it is launched with. */
export interface Target {
  readonly interpreter: Interpreter;
  readonly launch: Launch;
  /** The bundle's libraries, when the server runs from the extension's bundle. */
  readonly bundleLibs?: string;
}

/** A server process launched before its client exists: handed to the client, or killed. */
export interface LaunchedServer {
  /** End the process if it is still running (it was never handed to a client). */
  kill(): void;
}

export interface LifecycleHost<C extends ServerClient, P extends LaunchedServer = LaunchedServer> {
  /** The server the current settings, interpreter and trust ask for. */
  target(): Promise<Target>;
  /** What stops or limits a server with `target`, or undefined (see `preflight.ts`). */
  preflight(target: Target): Promise<Problem | undefined>;
  /** Start `target`'s server process now, while its preflight runs; its client comes later. */
  launch(target: Target): P;
  /** The client for `target`, talking to `launched` first (and to new processes after a crash). */
  createClient(target: Target, launched: P): C;
  showStatus(state: ClientState): void;
  /** Tell the user about a problem, with its remedies. */
  report(problem: Problem): void;
  /** A server started (restricted mode is worth a word the first time). */
  started(target: Target): void;
  readonly log: Logger;
}

interface Running<C> {
  readonly client: C;
  /** Replaced when new settings are sent to the running server. */
  target: Target;
  readonly subscriptions: Subscription[];
}

export class ServerLifecycle<C extends ServerClient, P extends LaunchedServer = LaunchedServer> {
  private current: Running<C> | undefined;
  private queue: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(private readonly host: LifecycleHost<C, P>) {}

  /** The running client, for requests such as `fxlens/showNodes`. */
  get running(): C | undefined {
    return this.current?.client.isRunning() ? this.current.client : undefined;
  }

  /** The options the running server was given or last sent (the `workspace/configuration` answer). */
  get options(): FxlensOptions | undefined {
    return this.current?.target.launch.options;
  }

  /**
   * Bring the server in line with the current settings, interpreter and trust: start, restart,
   * send the new settings, or nothing (`force` restarts regardless). Calls run one after another.
   */
  reload(force = false): Promise<void> {
    this.queue = this.queue
      .then(() => this.apply(force))
      .catch((error: unknown) => this.host.log.error(`Reloading the server failed: ${String(error)}`));
    return this.queue;
  }

  /** Stop the server once the queued work is done; later reloads do nothing. */
  dispose(): Promise<void> {
    this.disposed = true;
    this.queue = this.queue.then(() => this.stop());
    return this.queue;
  }

  private async apply(force: boolean): Promise<void> {
    if (this.disposed) {
      return;
    }
    const target = await this.host.target();
    const plan = force ? "restart" : planReload(this.current?.target.launch, target.launch);
    if (plan === "none") {
      return;
    }
    if (plan === "notify" && this.current !== undefined) {
      this.current.target = target;
      this.host.log.info(`Settings changed: ${JSON.stringify(target.launch.options)}`);
      await this.current.client.sendSettings(target.launch.options);
      return;
    }
    await this.stop();
    await this.start(target);
  }

  private async start(target: Target): Promise<void> {
    const { interpreter, launch } = target;
    this.host.showStatus({ kind: "starting", interpreter: interpreter.command });
    const from = target.bundleLibs === undefined ? "its own fxlens" : `the bundled fxlens (${target.bundleLibs})`;
    this.host.log.info(`Starting the server with ${interpreter.command} (${interpreter.source}) and ${from}; options ${JSON.stringify(launch.options)}`);
    const preflight = this.host.preflight(target);
    const launched = this.host.launch(target);
    const problem = await preflight;
    if (problem?.fatal) {
      launched.kill();
      this.host.log.error(problem.message);
      this.host.report(problem);
      this.host.showStatus({ kind: "stopped", reason: problem.message });
      return;
    }
    if (problem !== undefined) {
      this.host.log.warn(problem.message);
      this.host.report(problem);
    }
    const running: Running<C> = { client: this.host.createClient(target, launched), target, subscriptions: [] };
    const shown = {
      interpreter: interpreter.command,
      executeCode: launch.options.executeCode,
      ...(problem === undefined ? {} : { limitation: problem.message }),
    };
    this.subscribe(running, shown);
    this.current = running;
    try {
      await running.client.start();
    } catch (error) {
      this.host.log.error(`The server failed to start: ${String(error)}`);
      this.host.showStatus({ kind: "stopped", reason: `the server failed to start: ${String(error)}` });
      await this.stop();
      return;
    }
    this.host.showStatus({ kind: "running", status: { state: "idle", message: "ready" }, ...shown });
    this.host.started(target);
  }

  /** Show the server's status notifications and its stopping, while `running` is the current server. */
  private subscribe(running: Running<C>, shown: Omit<Extract<ClientState, { kind: "running" }>, "kind" | "status">): void {
    running.subscriptions.push(
      running.client.onNotification(STATUS_NOTIFICATION, (params) => {
        const status = parseStatus(params);
        if (status === undefined) {
          this.host.log.warn(`Ignored a malformed ${STATUS_NOTIFICATION} notification: ${JSON.stringify(params)}`);
        } else {
          this.host.showStatus({ kind: "running", status, ...shown });
        }
      }),
      running.client.onDidStop(() => {
        if (this.current === running) {
          this.host.showStatus({ kind: "stopped", reason: "the server stopped; see the fxlens output for its log" });
        }
      }),
    );
  }

  private async stop(): Promise<void> {
    const running = this.current;
    this.current = undefined;
    if (running === undefined) {
      return;
    }
    running.subscriptions.forEach((subscription) => subscription.dispose());
    this.host.log.info(`Stopping the server (${running.target.interpreter.command})`);
    try {
      await running.client.dispose();
    } catch (error) {
      this.host.log.warn(`The server did not stop cleanly: ${String(error)}`);
    }
  }
}
