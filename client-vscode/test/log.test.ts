// Routing the language client's lines and the server's stderr into the log channel's levels.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Level, LeveledWriter, type Logger, TraceWriter } from "../src/log";

function recorder(): { log: Logger; entries: [Level, string][] } {
  const entries: [Level, string][] = [];
  const at = (level: Level) => (message: string) => entries.push([level, message]);
  return { log: { trace: at("trace"), debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, entries };
}

describe("LeveledWriter", () => {
  it("logs the language client's lines at their level, without its timestamp", () => {
    const { log, entries } = recorder();
    const writer = new LeveledWriter(log);
    writer.appendLine("[Info  - 10:00:01 PM] Connection to server established");
    writer.appendLine("[Error - 10:00:02 PM] Request textDocument/hover failed.");
    writer.appendLine("  Message: boom");
    writer.appendLine("[Warn  - 10:00:03] slow");
    assert.deepEqual(entries, [
      ["info", "Connection to server established"],
      ["error", "Request textDocument/hover failed."],
      ["error", "  Message: boom"],
      ["warn", "slow"],
    ]);
  });

  it("logs the server's clean exit as information once it is being stopped, and every other exit as an error", () => {
    const { log, entries } = recorder();
    const writer = new LeveledWriter(log);
    writer.appendLine("[Error - 10:00:00 PM] Server process exited with code 0.");
    writer.expectExit();
    writer.appendLine("[Error - 10:00:05 PM] Server process exited with code 0.");
    writer.appendLine("[Error - 10:00:06 PM] Server process exited with code 1.");
    writer.appendLine("[Error - 10:00:07 PM] Server process exited with signal SIGKILL.");
    assert.deepEqual(entries, [
      ["error", "Server process exited with code 0."],
      ["info", "Server process exited with code 0."],
      ["error", "Server process exited with code 1."],
      ["error", "Server process exited with signal SIGKILL."],
    ]);
  });

  it("splits the server's stderr chunks into lines under [server], at information level by default", () => {
    const { log, entries } = recorder();
    const writer = new LeveledWriter(log);
    writer.append("fxlens.lsp: worker 12 re");
    writer.append("ady (/v/bin/python)\nfxlens.lsp: tracing resnet18\n\n");
    writer.append("fxlens.lsp: last line without newline");
    assert.deepEqual(entries, [
      ["info", "[server] fxlens.lsp: worker 12 ready (/v/bin/python)"],
      ["info", "[server] fxlens.lsp: tracing resnet18"],
    ]);
    writer.flush();
    assert.deepEqual(entries[2], ["info", "[server] fxlens.lsp: last line without newline"]);
    writer.flush();
    assert.equal(entries.length, 3);
  });

  it("takes a server line's level from a leading Python level name; a traceback keeps its record's level", () => {
    const { log, entries } = recorder();
    const writer = new LeveledWriter(log);
    writer.append("WARNING fxlens.settings: unknown setting fxlens.x\r\n");
    writer.append("ERROR fxlens.lsp.session: linting a.py failed\nTraceback (most recent call last):\n  File \"x.py\", line 1\nValueError: bad\n");
    writer.append("fxlens.lsp: next record\nDEBUG: detail\n");
    assert.deepEqual(entries, [
      ["warn", "[server] fxlens.settings: unknown setting fxlens.x"],
      ["error", "[server] fxlens.lsp.session: linting a.py failed"],
      ["error", "[server] Traceback (most recent call last):"],
      ["error", '[server]   File "x.py", line 1'],
      ["error", "[server] ValueError: bad"],
      ["info", "[server] fxlens.lsp: next record"],
      ["debug", "[server] detail"],
    ]);
  });
});

describe("TraceWriter", () => {
  it("makes one information entry of each traced message, prefix and body written apart", () => {
    const { log, entries } = recorder();
    const writer = new TraceWriter(log);
    writer.append("[LSP   - 10:00:00 PM] ");
    writer.appendLine('{"jsonrpc":"2.0","method":"initialized"}');
    writer.appendLine("[Trace - 10:00:01 PM] Sending request 'textDocument/hover - (3)'.");
    assert.deepEqual(entries, [
      ["info", '{"jsonrpc":"2.0","method":"initialized"}'],
      ["info", "Sending request 'textDocument/hover - (3)'."],
    ]);
  });
});
