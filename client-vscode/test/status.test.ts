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

  it("is ready, at information severity, naming the server's interpreter", () => {
    assert.deepEqual(running("idle", "resnet18: 70 nodes"), {
      text: "$(check) fxlens",
      detail: "resnet18: 70 nodes · Server: /v/bin/python",
      severity: "information",
      busy: false,
    });
  });

  it("is busy while tracing and names what is traced", () => {
    assert.deepEqual(running("tracing", "Tracing resnet18"), {
      text: "$(sync~spin) fxlens: Tracing resnet18",
      detail: "Tracing resnet18 · Server: /v/bin/python",
      severity: "information",
      busy: true,
    });
  });

  it("shortens a long tracing message in the text, not in the detail", () => {
    const view = running("tracing", "x".repeat(200));
    assert.ok(view.text.length < 80);
    assert.ok(view.text.endsWith("…"));
    assert.match(view.detail, /x{200}/);
  });

  it("shows the server's error as a warning, never red: a model's problem is a diagnostic", () => {
    const view = running("error", "resnet18: trace error: boom");
    assert.equal(view.text, "$(warning) fxlens");
    assert.equal(view.severity, "warning");
    assert.match(view.detail, /resnet18: trace error: boom/);
  });

  it("shows a limitation the preflight found (no torch) as a warning that stays", () => {
    const view = statusView({
      kind: "running",
      status: { state: "idle", message: "ready" },
      interpreter: "/v/bin/python",
      executeCode: true,
      limitation: "fxlens: /v/bin/python has no torch",
    });
    assert.equal(view.text, "$(warning) fxlens: no tracing");
    assert.equal(view.severity, "warning");
    assert.match(view.detail, /has no torch/);
  });

  it("says when the workspace is restricted, at information severity (nothing is broken)", () => {
    const view = running("idle", "ready", false);
    assert.equal(view.text, "$(shield) fxlens (restricted)");
    assert.equal(view.severity, "information");
    assert.match(view.detail, /not trusted/);
  });

  it("is busy while starting; red only when the server is stopped", () => {
    assert.deepEqual(statusView({ kind: "starting", interpreter: "python3" }), {
      text: "$(loading~spin) fxlens",
      detail: "starting the server with python3",
      severity: "information",
      busy: true,
    });
    const stopped = statusView({ kind: "stopped", reason: "fxlens is not installed" });
    assert.equal(stopped.severity, "error");
    assert.equal(stopped.detail, "fxlens is not installed");
  });
});

describe("parseShowNodesResult", () => {
  it("accepts { title, markdown } and rejects other replies", () => {
    assert.deepEqual(parseShowNodesResult({ title: "t", markdown: "| a |" }), { title: "t", markdown: "| a |" });
    assert.equal(parseShowNodesResult({ title: "t" }), undefined);
    assert.equal(parseShowNodesResult(null), undefined);
  });
});
