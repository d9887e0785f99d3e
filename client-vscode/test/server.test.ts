// The extension's messages against the real `fxlens serve` (no VS Code): the options object it
// sends, its workspace/configuration answer, the didChangeConfiguration it sends instead of a
// restart, fxlens/status, fxlens/showNodes and fxlens/nodeTable. Skipped when the Python (FXLENS_TEST_PYTHON, else
// python3, with ../server on PYTHONPATH) cannot import fxlens and torchvision.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { answerConfiguration, type FxlensOptions, type SettingsReader, toOptions } from "../src/options";
import { buildRows, parseNodeTableReply } from "../src/nodeTable";
import { planNameEdit } from "../src/nodeEdit";
import { NODE_TABLE_REQUEST, parseShowNodesResult, parseStatus, SHOW_NODES_REQUEST, STATUS_NOTIFICATION, type ServerStatus } from "../src/protocol";

const PYTHON = process.env.FXLENS_TEST_PYTHON ?? "python3";
const ENV = {
  ...process.env,
  PYTHONPATH: [resolve(__dirname, "../../../server"), process.env.PYTHONPATH].filter(Boolean).join(":"),
  XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "fxlens-client-cache-")),
};
const probe = spawnSync(PYTHON, ["-c", "import fxlens, torchvision"], { env: ENV, encoding: "utf8" });
const skip = probe.status === 0 ? false : `${PYTHON} cannot import fxlens and torchvision: ${(probe.stderr ?? String(probe.error)).trim().split("\n").pop()}`;

const SCRIPT = `from torchvision.models import resnet18
from torchvision.models.feature_extraction import create_feature_extractor

model = resnet18(weights=None)
extractor = create_feature_extractor(model, return_nodes=["layer1.0.relu_1", "layer9"])
`;

interface Diagnostic {
  code?: string;
  severity?: number;
  message: string;
}

function settings(values: Record<string, unknown>): SettingsReader {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

describe("the extension's messages against fxlens serve", { skip, timeout: 180_000 }, () => {
  const workspace = mkdtempSync(join(tmpdir(), "fxlens-client-ws-"));
  const uri = pathToFileURL(join(workspace, "extract.py")).href;
  const messages: string[] = [];
  const statuses: (ServerStatus | undefined)[] = [];
  const diagnosticListeners: ((diagnostics: Diagnostic[]) => void)[] = [];
  let options: FxlensOptions = toOptions(settings({ rules: { FXL001: "warning" }, traceTimeout: 120 }), true, { home: "/h", workspaceFolder: workspace });
  let server: ChildProcess;
  let connection: MessageConnection;

  let log = "";

  /** The next diagnostics published for the script that satisfy `accept` (rejected after 120 s, with the server's log). */
  function diagnostics(accept: (diagnostics: Diagnostic[]) => boolean): Promise<Diagnostic[]> {
    return new Promise((done, fail) => {
      setTimeout(() => fail(new Error(`no such diagnostics in 120 s; server log:\n${log.slice(-4000)}`)), 120_000).unref();
      const listener = (published: Diagnostic[]) => {
        if (accept(published)) {
          diagnosticListeners.splice(diagnosticListeners.indexOf(listener), 1);
          done(published);
        }
      };
      diagnosticListeners.push(listener);
    });
  }

  before(async () => {
    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(workspace, "extract.py"), SCRIPT);
    // As the extension starts it: `-m fxlens serve` plus the `--stdio` of TransportKind.stdio, cwd outside the workspace.
    server = spawn(PYTHON, ["-m", "fxlens", "serve", "--stdio"], { cwd: tmpdir(), env: ENV, stdio: ["pipe", "pipe", "pipe"] });
    server.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
    connection = createMessageConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
    connection.onRequest("workspace/configuration", (params: { items: { section?: string }[] }) =>
      answerConfiguration(params.items, params.items.map(() => ({ trace: { server: "off" } })), options),
    );
    connection.onRequest("window/workDoneProgress/create", () => null);
    connection.onRequest("client/registerCapability", () => null);
    connection.onNotification("window/showMessage", (params: { message: string }) => messages.push(params.message));
    connection.onNotification(STATUS_NOTIFICATION, (params: unknown) => statuses.push(parseStatus(params)));
    connection.onNotification("textDocument/publishDiagnostics", (params: { uri: string; diagnostics: Diagnostic[] }) => {
      if (params.uri === uri) {
        [...diagnosticListeners].forEach((listener) => listener(params.diagnostics));
      }
    });
    connection.listen();
    await connection.sendRequest("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(workspace).href,
      capabilities: { workspace: { configuration: true }, window: { workDoneProgress: true } },
      initializationOptions: options,
    });
    await connection.sendNotification("initialized", {});
  });

  after(async () => {
    if (connection !== undefined) {
      await connection.sendRequest("shutdown").catch(() => undefined);
      await connection.sendNotification("exit").catch(() => undefined);
      connection.dispose();
    }
    server?.kill();
  });

  it("applies the rule severities of initializationOptions (FXL001 as a warning)", async () => {
    const published = diagnostics((d) => d.some((diagnostic) => diagnostic.code === "FXL001"));
    await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text: SCRIPT } });
    const unknown = (await published).filter((d) => d.code === "FXL001");
    assert.equal(unknown.length, 1);
    assert.equal(unknown[0].severity, 2);
    assert.match(unknown[0].message, /layer9/);
  });

  it("accepts the options object without a warning", () => {
    assert.deepEqual(messages, []);
  });

  it("sends fxlens/status notifications the status bar understands", () => {
    assert.ok(statuses.length > 0, "no fxlens/status notification");
    assert.ok(statuses.every((status) => status !== undefined), JSON.stringify(statuses));
  });

  it("answers fxlens/showNodes with a title and Markdown", async () => {
    const reply = await connection.sendRequest(SHOW_NODES_REQUEST, { textDocument: { uri }, position: { line: 4, character: 40 } });
    const result = parseShowNodesResult(reply);
    assert.ok(result, `${JSON.stringify(reply)}\n${log.slice(-2000)}`);
    assert.match(result.title, /ResNet|resnet18/);
    assert.match(result.markdown, /layer1\.0\.relu_1/);
  });

  it("answers fxlens/nodeTable with a reply the node view takes, and the call's literal for its edits", async () => {
    const reply = parseNodeTableReply(await connection.sendRequest(NODE_TABLE_REQUEST, { textDocument: { uri }, position: { line: 4, character: 40 } }));
    assert.ok(reply, log.slice(-2000));
    assert.equal(reply.model, "resnet18");
    assert.deepEqual(reply.selected, { train: ["layer1.0.relu_1"], eval: ["layer1.0.relu_1"] });
    const rows = buildRows(reply);
    assert.equal(rows.length, reply.table.eval.length);
    assert.equal(rows.find((row) => row.name === "layer1.0.relu_1")?.shapes.eval, "1×64×56×56");
    const lines = SCRIPT.split("\n");
    const edit = planNameEdit((line) => lines[line] ?? "", { line: 0, character: 0 }, reply.arguments, "fc");
    assert.deepEqual(edit?.range.start, { line: 4, character: lines[4].lastIndexOf("]") });
    assert.equal(edit?.text, ', "fc"');
  });

  it("takes new settings by didChangeConfiguration, without a restart (FXL001 off)", async () => {
    options = { ...options, rules: { FXL001: "off" } };
    const published = diagnostics((d) => !d.some((diagnostic) => diagnostic.code === "FXL001"));
    await connection.sendNotification("workspace/didChangeConfiguration", { settings: { fxlens: options } });
    assert.deepEqual((await published).filter((d) => d.code === "FXL001"), []);
    assert.deepEqual(messages, []);
  });
});
