import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseShowNodesResult } from "../src/protocol";
import { parseStatus, statusView } from "../src/status";

describe("parseStatus", () => {
  it("accepts the three states with a message", () => {
    for (const state of ["idle", "tracing", "error"]) {
      assert.deepEqual(parseStatus({ state, message: "m" }), { state, message: "m" });
    }
  });

  it("rejects anything else", () => {
    for (const params of [null, undefined, "idle", [], { state: "busy", message: "" }, { state: "idle" }, { state: "idle", message: 3 }]) {
      assert.equal(parseStatus(params), undefined);
    }
  });
});

describe("statusView", () => {
  const running = (state: "idle" | "tracing" | "error", message: string, executeCode = true) =>
    statusView({ kind: "running", status: { state, message }, interpreter: "/v/bin/python", executeCode });

  it("spins while tracing and names what is traced", () => {
    const view = running("tracing", "Tracing resnet18");
    assert.equal(view.text, "$(sync~spin) fxlens: Tracing resnet18");
    assert.equal(view.background, undefined);
    assert.match(view.tooltip, /Server: \/v\/bin\/python/);
  });

  it("shortens a long tracing message", () => {
    const view = running("tracing", "x".repeat(200));
    assert.ok(view.text.length < 80);
    assert.ok(view.text.endsWith("…"));
    assert.match(view.tooltip, /x{200}/);
  });

  it("shows an error with its message in the tooltip and an error background", () => {
    const view = running("error", "worker crashed: out of memory");
    assert.equal(view.text, "$(error) fxlens");
    assert.equal(view.background, "error");
    assert.match(view.tooltip, /worker crashed: out of memory/);
  });

  it("says when the workspace is restricted", () => {
    const view = running("idle", "ready", false);
    assert.equal(view.text, "$(shield) fxlens (restricted)");
    assert.equal(view.background, "warning");
    assert.match(view.tooltip, /not trusted/);
    assert.equal(running("idle", "ready").text, "$(check) fxlens");
  });

  it("shows starting and stopped", () => {
    assert.match(statusView({ kind: "starting", interpreter: "python3" }).tooltip, /starting the server with python3/);
    const stopped = statusView({ kind: "stopped", reason: "fxlens is not installed" });
    assert.equal(stopped.background, "error");
    assert.match(stopped.tooltip, /fxlens is not installed/);
  });
});

describe("parseShowNodesResult", () => {
  it("accepts { title, markdown } and rejects other replies", () => {
    assert.deepEqual(parseShowNodesResult({ title: "t", markdown: "| a |" }), { title: "t", markdown: "| a |" });
    assert.equal(parseShowNodesResult({ title: "t" }), undefined);
    assert.equal(parseShowNodesResult(null), undefined);
  });
});
