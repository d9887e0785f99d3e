// ServerLifecycle with fake clients: starts, restarts, reconfigures, and leaves no handler behind.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LaunchedServer, LifecycleHost, ServerClient, Subscription, Target } from "../src/lifecycle";
import { ServerLifecycle } from "../src/lifecycle";
import type { Logger } from "../src/log";
import { type FxlensOptions, type SettingsReader, toOptions } from "../src/options";
import type { Problem } from "../src/preflight";
import { STATUS_NOTIFICATION } from "../src/protocol";
import type { ClientState } from "../src/status";

/** A client whose handlers can be counted and fired; `failStart` makes `start()` reject. */
class FakeClient implements ServerClient {
  readonly notificationHandlers = new Map<string, Set<(params: unknown) => void>>();
  readonly stopListeners = new Set<() => void>();
  readonly sentSettings: FxlensOptions[] = [];
  running = false;
  disposed = false;

  constructor(
    readonly target: Target,
    private readonly failStart = false,
  ) {}

  async start(): Promise<void> {
    if (this.failStart) {
      this.stopListeners.forEach((listener) => listener());
      throw new Error("spawn failed");
    }
    this.running = true;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.running = false;
    this.stopListeners.forEach((listener) => listener());
  }

  isRunning(): boolean {
    return this.running;
  }

  onNotification(method: string, handler: (params: unknown) => void): Subscription {
    const handlers = this.notificationHandlers.get(method) ?? new Set();
    this.notificationHandlers.set(method, handlers);
    handlers.add(handler);
    return { dispose: () => handlers.delete(handler) };
  }

  onDidStop(listener: () => void): Subscription {
    this.stopListeners.add(listener);
    return { dispose: () => this.stopListeners.delete(listener) };
  }

  async sendSettings(options: FxlensOptions): Promise<void> {
    this.sentSettings.push(options);
  }

  /** Handlers still subscribed on this client, of every kind. */
  get subscribed(): number {
    return [...this.notificationHandlers.values()].reduce((sum, handlers) => sum + handlers.size, 0) + this.stopListeners.size;
  }

  notify(method: string, params: unknown): void {
    this.notificationHandlers.get(method)?.forEach((handler) => handler(params));
  }

  crash(): void {
    this.running = false;
    this.stopListeners.forEach((listener) => listener());
  }
}

/** A launched server process: the host's events record when it was launched and whether it was killed. */
class FakeProcess implements LaunchedServer {
  killed = false;

  kill(): void {
    this.killed = true;
  }
}

function settings(values: Record<string, unknown>): SettingsReader {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

class FakeHost implements LifecycleHost<FakeClient, FakeProcess> {
  readonly clients: FakeClient[] = [];
  readonly processes: FakeProcess[] = [];
  /** What happened, in order: "preflight started", "launched", "preflight answered", "client created". */
  readonly events: string[] = [];
  /** When set, the preflight answers only once this promise resolves. */
  preflightGate: Promise<void> | undefined;
  readonly statuses: ClientState[] = [];
  readonly reports: Problem[] = [];
  readonly startedTargets: Target[] = [];
  readonly lines: string[] = [];
  readonly log: Logger = {
    trace: (message) => this.lines.push(`trace ${message}`),
    debug: (message) => this.lines.push(`debug ${message}`),
    info: (message) => this.lines.push(`info ${message}`),
    warn: (message) => this.lines.push(`warn ${message}`),
    error: (message) => this.lines.push(`error ${message}`),
  };
  command = "/venv/bin/python";
  values: Record<string, unknown> = {};
  problem: Problem | undefined;
  failStarts = false;

  async target(): Promise<Target> {
    const options = toOptions(settings(this.values), true, { home: "/h", workspaceFolder: "/w" });
    return { interpreter: { command: this.command, source: "python-extension" }, launch: { command: this.command, args: ["-m", "fxlens", "serve"], options } };
  }

  async preflight(): Promise<Problem | undefined> {
    this.events.push("preflight started");
    await this.preflightGate;
    this.events.push("preflight answered");
    return this.problem;
  }

  launch(): FakeProcess {
    this.events.push("launched");
    const process = new FakeProcess();
    this.processes.push(process);
    return process;
  }

  createClient(target: Target, launched: FakeProcess): FakeClient {
    assert.equal(launched, this.processes[this.processes.length - 1], "the client gets the process launched for it");
    this.events.push("client created");
    const client = new FakeClient(target, this.failStarts);
    this.clients.push(client);
    return client;
  }

  showStatus(state: ClientState): void {
    this.statuses.push(state);
  }

  report(problem: Problem): void {
    this.reports.push(problem);
  }

  started(target: Target): void {
    this.startedTargets.push(target);
  }

  get last(): ClientState | undefined {
    return this.statuses[this.statuses.length - 1];
  }

  /** Subscribed handlers over every client ever made. */
  get subscribed(): number {
    return this.clients.reduce((sum, client) => sum + client.subscribed, 0);
  }
}

describe("ServerLifecycle", () => {
  it("starts one server and shows it starting, then ready", async () => {
    const host = new FakeHost();
    const lifecycle = new ServerLifecycle(host);
    await lifecycle.reload();
    assert.equal(host.clients.length, 1);
    assert.equal(lifecycle.running, host.clients[0]);
    assert.deepEqual(host.statuses, [
      { kind: "starting", interpreter: "/venv/bin/python" },
      { kind: "running", status: { state: "idle", message: "ready" }, interpreter: "/venv/bin/python", executeCode: true },
    ]);
    assert.equal(host.startedTargets.length, 1);
  });

  it("leaves exactly one notification handler and one stop listener after restarting twice", async () => {
    const host = new FakeHost();
    const lifecycle = new ServerLifecycle(host);
    await lifecycle.reload();
    await lifecycle.reload(true);
    await lifecycle.reload(true);
    assert.equal(host.clients.length, 3);
    const [first, second, third] = host.clients;
    assert.deepEqual([first.disposed, second.disposed, third.disposed], [true, true, false]);
    assert.deepEqual([first.subscribed, second.subscribed], [0, 0]);
    assert.equal(third.notificationHandlers.get(STATUS_NOTIFICATION)?.size, 1);
    assert.equal(third.stopListeners.size, 1);
    assert.equal(host.subscribed, 2);
    const shown = host.statuses.length;
    third.notify(STATUS_NOTIFICATION, { state: "tracing", message: "Tracing resnet18" });
    assert.equal(host.statuses.length, shown + 1, "one status notification shows once");
    assert.deepEqual(host.last, { kind: "running", status: { state: "tracing", message: "Tracing resnet18" }, interpreter: "/venv/bin/python", executeCode: true });
  });

  it("does not show the old server's stop as the new one's", async () => {
    const host = new FakeHost();
    const lifecycle = new ServerLifecycle(host);
    await lifecycle.reload();
    await lifecycle.reload(true);
    assert.equal(host.last?.kind, "running");
    assert.ok(!host.statuses.some((state) => state.kind === "stopped"), JSON.stringify(host.statuses));
  });

  it("ignores a malformed status notification, with a warning in the log", async () => {
    const host = new FakeHost();
    const lifecycle = new ServerLifecycle(host);
    await lifecycle.reload();
    const shown = host.statuses.length;
    host.clients[0].notify(STATUS_NOTIFICATION, { state: "busy" });
    assert.equal(host.statuses.length, shown);
    assert.ok(host.lines.some((line) => line.startsWith("warn Ignored a malformed fxlens/status")), host.lines.join("\n"));
  });

  it("logs a normal restart at information level only", async () => {
    const host = new FakeHost();
    const lifecycle = new ServerLifecycle(host);
    await lifecycle.reload();
    await lifecycle.reload(true);
    assert.deepEqual(
      host.lines.filter((line) => !line.startsWith("info ")),
      [],
    );
  });

  it("shows a server that stops by itself as stopped", async () => {
    const host = new FakeHost();
    const lifecycle = new ServerLifecycle(host);
    await lifecycle.reload();
    host.clients[0].crash();
    assert.equal(host.last?.kind, "stopped");
    assert.equal(lifecycle.running, undefined);
  });

  it("sends changed settings to the running server instead of restarting", async () => {
    const host = new FakeHost();
    const lifecycle = new ServerLifecycle(host);
    await lifecycle.reload();
    host.values = { traceTimeout: 60 };
    await lifecycle.reload();
    assert.equal(host.clients.length, 1);
    assert.deepEqual(host.clients[0].sentSettings.map((options) => options.traceTimeout), [60]);
    assert.equal(lifecycle.options?.traceTimeout, 60);
    await lifecycle.reload();
    assert.equal(host.clients[0].sentSettings.length, 1, "unchanged settings are not sent again");
  });

  it("still shows the server stopping after new settings were sent to it", async () => {
    const host = new FakeHost();
    const lifecycle = new ServerLifecycle(host);
    await lifecycle.reload();
    host.values = { inlayHints: true };
    await lifecycle.reload();
    host.clients[0].crash();
    assert.equal(host.last?.kind, "stopped");
  });

  it("restarts for another interpreter", async () => {
    const host = new FakeHost();
    const lifecycle = new ServerLifecycle(host);
    await lifecycle.reload();
    host.command = "/other/bin/python";
    await lifecycle.reload();
    assert.equal(host.clients.length, 2);
    assert.equal(host.clients[0].disposed, true);
    assert.equal(host.clients[1].target.interpreter.command, "/other/bin/python");
    assert.equal(host.subscribed, 2);
  });

  it("starts no server when the preflight finds a fatal problem, and reports it", async () => {
    const host = new FakeHost();
    host.problem = { fatal: true, message: "fxlens: cannot run /venv/bin/python", remedies: ["openSettings"] };
    const lifecycle = new ServerLifecycle(host);
    await lifecycle.reload();
    assert.equal(host.clients.length, 0);
    assert.deepEqual(host.reports, [host.problem]);
    assert.deepEqual(host.last, { kind: "stopped", reason: "fxlens: cannot run /venv/bin/python" });
    assert.ok(host.lines.includes("error fxlens: cannot run /venv/bin/python"), host.lines.join("\n"));
  });

  it("launches the server process while the preflight runs, and starts its client after the preflight answers", async () => {
    const host = new FakeHost();
    let answer: () => void = () => undefined;
    host.preflightGate = new Promise((resolve) => (answer = resolve));
    const lifecycle = new ServerLifecycle(host);
    const reloaded = lifecycle.reload();
    while (host.events.length < 2) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(host.events, ["preflight started", "launched"], "the process is launched before the preflight answers");
    assert.equal(host.clients.length, 0, "no client before the preflight answers");
    answer();
    await reloaded;
    assert.deepEqual(host.events, ["preflight started", "launched", "preflight answered", "client created"]);
    assert.equal(host.processes[0].killed, false);
    assert.equal(lifecycle.running, host.clients[0]);
  });

  it("kills the launched process when the preflight finds a fatal problem", async () => {
    const host = new FakeHost();
    host.problem = { fatal: true, message: "fxlens: cannot import fxlens", remedies: ["showLog"] };
    const lifecycle = new ServerLifecycle(host);
    await lifecycle.reload();
    assert.equal(host.processes.length, 1);
    assert.equal(host.processes[0].killed, true);
    assert.equal(host.clients.length, 0);
    assert.deepEqual(host.reports, [host.problem], "one report: the preflight's");
    assert.deepEqual(host.last, { kind: "stopped", reason: "fxlens: cannot import fxlens" });
  });

  it("starts the server despite a problem that only limits it, and reports it", async () => {
    const host = new FakeHost();
    host.problem = { fatal: false, message: "fxlens: no torch", remedies: ["selectInterpreter"] };
    const lifecycle = new ServerLifecycle(host);
    await lifecycle.reload();
    assert.equal(host.clients.length, 1);
    assert.deepEqual(host.reports, [host.problem]);
    assert.ok(host.lines.includes("warn fxlens: no torch"), host.lines.join("\n"));
    const limited = { interpreter: "/venv/bin/python", executeCode: true, limitation: "fxlens: no torch" };
    assert.deepEqual(host.last, { kind: "running", status: { state: "idle", message: "ready" }, ...limited });
    host.clients[0].notify(STATUS_NOTIFICATION, { state: "idle", message: "resnet18: 70 nodes" });
    assert.deepEqual(host.last, { kind: "running", status: { state: "idle", message: "resnet18: 70 nodes" }, ...limited }, "the limitation stays");
  });

  it("keeps no handler of a client that failed to start", async () => {
    const host = new FakeHost();
    host.failStarts = true;
    const lifecycle = new ServerLifecycle(host);
    await lifecycle.reload();
    assert.equal(host.clients.length, 1);
    assert.equal(host.clients[0].subscribed, 0);
    assert.equal(host.clients[0].disposed, true);
    assert.equal(lifecycle.running, undefined);
    assert.match(host.last?.kind === "stopped" ? host.last.reason : "", /failed to start: Error: spawn failed/);
    host.failStarts = false;
    await lifecycle.reload();
    assert.equal(host.clients.length, 2, "the next reload starts a server again");
  });

  it("runs reloads one after another", async () => {
    const host = new FakeHost();
    const lifecycle = new ServerLifecycle(host);
    await Promise.all([lifecycle.reload(), lifecycle.reload(true), lifecycle.reload(true)]);
    assert.equal(host.clients.length, 3);
    assert.deepEqual(
      host.clients.map((client) => client.disposed),
      [true, true, false],
    );
    assert.equal(host.subscribed, 2);
  });

  it("stops the server on dispose, and reloads after it do nothing", async () => {
    const host = new FakeHost();
    const lifecycle = new ServerLifecycle(host);
    await lifecycle.reload();
    await lifecycle.dispose();
    await lifecycle.reload(true);
    assert.equal(host.clients.length, 1);
    assert.equal(host.clients[0].disposed, true);
    assert.equal(host.subscribed, 0);
  });
});
