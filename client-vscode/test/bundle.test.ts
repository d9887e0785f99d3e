// The bundled server (bundled/libs, built by `npm run bundle`): chosen per fxlens.importStrategy,
// checked by the preflight, and run with interpreters that have nothing installed — a Python
// without site-packages serves LSP, and one with torch traces with its own torch. The parts that
// run the bundle are skipped when it is not built.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { after, describe, it } from "node:test";
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { bundlePaths, serverCommand } from "../src/bundle";
import { parseReport, preflightProblem, runCheck } from "../src/preflight";

const EXTENSION = resolve(__dirname, "../..");
const BUNDLE = bundlePaths(EXTENSION);
const PYTHON = process.env.FXLENS_TEST_PYTHON ?? "python3";
const built = existsSync(join(BUNDLE.libs, "fxlens")) ? false : "bundled/libs is not built (npm run bundle)";
const withTorch = spawnSync(PYTHON, ["-c", "import torchvision"]).status === 0 ? false : `${PYTHON} cannot import torchvision`;
const selected = { command: PYTHON, source: "python-extension" } as const;

/** `PYTHON` without site-packages or PYTHON* variables: no fxlens, pygls or torch of its own. */
function barePython(): string {
  const path = join(mkdtempSync(join(tmpdir(), "fxlens-bare-")), "python");
  writeFileSync(path, `#!/bin/sh\nexec ${PYTHON} -S -E "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

const SCRIPT = `from torchvision.models import resnet18
from torchvision.models.feature_extraction import create_feature_extractor

model = resnet18(weights=None)
extractor = create_feature_extractor(model, return_nodes=["layer1.0.relu_1", "layer9"])
`;

interface Diagnostic {
  code?: string;
  message: string;
}

/** The bundled server started as the extension starts it, with a minimal client around it. */
class BundledServer {
  readonly process: ChildProcess;
  readonly connection: MessageConnection;
  readonly published = new Map<string, Diagnostic[]>();
  private readonly waiting: (() => void)[] = [];
  log = "";

  constructor(python: string) {
    const args = [...serverCommand("useBundled", BUNDLE, true).args, "--stdio"];
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "fxlens-bundle-cache-")) };
    delete env.PYTHONPATH;
    this.process = spawn(python, args, { cwd: EXTENSION, env, stdio: ["pipe", "pipe", "pipe"] });
    this.process.stderr!.on("data", (chunk: Buffer) => (this.log += chunk.toString()));
    this.connection = createMessageConnection(new StreamMessageReader(this.process.stdout!), new StreamMessageWriter(this.process.stdin!));
    this.connection.onRequest("workspace/configuration", (params: { items: unknown[] }) => params.items.map(() => null));
    this.connection.onRequest("window/workDoneProgress/create", () => null);
    this.connection.onRequest("client/registerCapability", () => null);
    this.connection.onNotification("textDocument/publishDiagnostics", (params: { uri: string; diagnostics: Diagnostic[] }) => {
      this.published.set(params.uri, params.diagnostics);
      this.waiting.splice(0).forEach((wake) => wake());
    });
    this.connection.listen();
  }

  async initialize(workspace: string): Promise<{ capabilities: Record<string, unknown> }> {
    const result = await this.connection.sendRequest<{ capabilities: Record<string, unknown> }>("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(workspace).href,
      capabilities: { workspace: { configuration: true } },
      initializationOptions: { traceTimeout: 120 },
    });
    await this.connection.sendNotification("initialized", {});
    return result;
  }

  /** The first diagnostics for `uri` that satisfy `accept` (rejected after 150 s, with the server's log). */
  async diagnostics(uri: string, accept: (diagnostics: Diagnostic[]) => boolean): Promise<Diagnostic[]> {
    const deadline = Date.now() + 150_000;
    for (;;) {
      const current = this.published.get(uri);
      if (current !== undefined && accept(current)) {
        return current;
      }
      if (Date.now() > deadline) {
        throw new Error(`no such diagnostics for ${uri}; last ${JSON.stringify(current)}; server log:\n${this.log.slice(-3000)}`);
      }
      await new Promise<void>((wake) => {
        this.waiting.push(wake);
        setTimeout(wake, 1000).unref();
      });
    }
  }

  async stop(): Promise<void> {
    await this.connection.sendRequest("shutdown").catch(() => undefined);
    await this.connection.sendNotification("exit").catch(() => undefined);
    this.connection.dispose();
    this.process.kill();
  }
}

describe("serverCommand", () => {
  it("runs the bundle by default when the extension has one", () => {
    assert.deepEqual(serverCommand(undefined, BUNDLE, true), { args: [BUNDLE.serve, "serve"], libs: BUNDLE.libs });
    assert.deepEqual(serverCommand("useBundled", BUNDLE, true), { args: [BUNDLE.serve, "serve"], libs: BUNDLE.libs });
  });

  it("runs the interpreter's own fxlens when asked to, or when there is no bundle", () => {
    assert.deepEqual(serverCommand("fromEnvironment", BUNDLE, true), { args: ["-m", "fxlens", "serve"] });
    assert.deepEqual(serverCommand("useBundled", BUNDLE, false), { args: ["-m", "fxlens", "serve"] });
  });
});

describe("the bundled server", { skip: built, timeout: 240_000 }, () => {
  const servers: BundledServer[] = [];
  after(async () => Promise.all(servers.map((server) => server.stop())));

  it("passes the preflight of a Python with nothing installed, which is told it has no torch", async () => {
    const bare = barePython();
    const installedOnly = await runCheck(bare, EXTENSION);
    assert.match(preflightProblem(selected, installedOnly, { executeCode: true, canSelect: true, bundled: false })?.message ?? "", /not installed/);
    const run = await runCheck(bare, EXTENSION, BUNDLE.libs);
    const report = "stdout" in run ? parseReport(run.stdout) : undefined;
    assert.equal(report?.fxlensPath, join(BUNDLE.libs, "fxlens"), JSON.stringify(run));
    assert.deepEqual(report?.missing, []);
    assert.equal(report?.torch, false);
    const problem = preflightProblem(selected, run, { executeCode: true, canSelect: true, bundled: true });
    assert.equal(problem?.fatal, false);
    assert.match(problem?.message ?? "", /has no torch/);
  });

  it("serves LSP with a Python that has nothing installed", async () => {
    const server = new BundledServer(barePython());
    servers.push(server);
    const { capabilities } = await server.initialize(mkdtempSync(join(tmpdir(), "fxlens-bundle-ws-")));
    assert.ok(capabilities.completionProvider, JSON.stringify(capabilities));
    assert.ok(capabilities.hoverProvider, JSON.stringify(capabilities));
  });

  it("traces with the interpreter's own torch (an unknown node is found)", { skip: withTorch }, async () => {
    const workspace = mkdtempSync(join(tmpdir(), "fxlens-bundle-ws-"));
    writeFileSync(join(workspace, "extract.py"), SCRIPT);
    const uri = pathToFileURL(join(workspace, "extract.py")).href;
    const server = new BundledServer(PYTHON);
    servers.push(server);
    await server.initialize(workspace);
    await server.connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text: SCRIPT } });
    const diagnostics = await server.diagnostics(uri, (published) => published.some((d) => d.code === "FXL001"));
    const unknown = diagnostics.filter((d) => d.code === "FXL001");
    assert.equal(unknown.length, 1);
    assert.match(unknown[0].message, /layer9/);
  });
});
