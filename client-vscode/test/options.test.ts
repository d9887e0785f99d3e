import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { answerConfiguration, DEFAULT_TRACE_TIMEOUT, type FxlensOptions, planReload, type SettingsReader, toOptions } from "../src/options";

function reader(values: Record<string, unknown>): SettingsReader {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

const paths = { home: "/home/ada", workspaceFolder: "/work/proj" };

describe("toOptions", () => {
  it("gives the contract's defaults for unset settings", () => {
    assert.deepEqual(toOptions(reader({}), true, paths), {
      interpreter: null,
      traceTimeout: 30,
      defaultInputShape: null, // unset: each model's own input (file, metadata, first layer), not one shape for all
      rules: {},
      inlayHints: false,
      executeCode: true,
    });
    assert.equal(DEFAULT_TRACE_TIMEOUT, 30);
  });

  it("maps each setting to its option and expands the interpreter path", () => {
    const options = toOptions(
      reader({
        interpreter: "${workspaceFolder}/.venv/bin/python",
        traceTimeout: 5,
        defaultInputShape: [2, 3, 64, 64],
        rules: { FXL010: "off", FXL001: "warning" },
        inlayHints: true,
        trace: { server: "verbose" },
      }),
      true,
      paths,
    );
    assert.deepEqual(options, {
      interpreter: "/work/proj/.venv/bin/python",
      traceTimeout: 5,
      defaultInputShape: [2, 3, 64, 64],
      rules: { FXL010: "off", FXL001: "warning" },
      inlayHints: true,
      executeCode: true,
    });
  });

  it("sends an empty interpreter setting as null", () => {
    assert.equal(toOptions(reader({ interpreter: "  " }), true, paths).interpreter, null);
    assert.equal(toOptions(reader({ interpreter: null }), true, paths).interpreter, null);
  });

  it("turns code execution off in an untrusted workspace", () => {
    assert.equal(toOptions(reader({}), false, paths).executeCode, false);
  });

  it("carries only the server's keys (no trace.server)", () => {
    assert.deepEqual(Object.keys(toOptions(reader({ trace: { server: "messages" } }), true, paths)).sort(), [
      "defaultInputShape",
      "executeCode",
      "inlayHints",
      "interpreter",
      "rules",
      "traceTimeout",
    ]);
  });
});

describe("planReload", () => {
  const options: FxlensOptions = toOptions(reader({}), true, paths);
  const args = ["-m", "fxlens", "serve"];
  const running = { command: "/usr/bin/python3", args, options };

  it("starts a server when none runs", () => {
    assert.equal(planReload(undefined, running), "start");
  });

  it("does nothing when interpreter and options are unchanged", () => {
    assert.equal(planReload(running, { command: "/usr/bin/python3", args: [...args], options: { ...options, rules: {} } }), "none");
  });

  it("ignores key order in rules", () => {
    const a = { ...options, rules: { FXL001: "error", FXL002: "hint" } as const };
    const b = { ...options, rules: { FXL002: "hint", FXL001: "error" } as const };
    assert.equal(planReload({ command: "p", args, options: a }, { command: "p", args, options: b }), "none");
  });

  it("restarts for another interpreter", () => {
    assert.equal(planReload(running, { command: "/venv/bin/python", args, options }), "restart");
  });

  it("restarts when the server switches between the bundled and the installed fxlens", () => {
    assert.equal(planReload(running, { ...running, args: ["/ext/bundled/tool/serve.py", "serve"] }), "restart");
  });

  it("restarts when code execution changes (workspace trust granted)", () => {
    assert.equal(planReload({ ...running, options: { ...options, executeCode: false } }, running), "restart");
  });

  it("notifies the running server of other settings", () => {
    assert.equal(planReload(running, { ...running, options: { ...options, traceTimeout: 60 } }), "notify");
    assert.equal(planReload(running, { ...running, options: { ...options, rules: { FXL010: "off" } } }), "notify");
    assert.equal(planReload(running, { ...running, options: { ...options, defaultInputShape: [1, 3, 32, 32] } }), "notify");
    assert.equal(planReload(running, { ...running, options: { ...options, inlayHints: true } }), "notify");
  });
});

describe("answerConfiguration", () => {
  const options = toOptions(reader({ inlayHints: true }), false, paths);

  it("answers section fxlens with the options object and keeps VS Code's other answers", () => {
    const answered = [{ interpreter: "", trace: { server: "off" } }, { tabSize: 4 }, null];
    assert.deepEqual(answerConfiguration([{ section: "fxlens" }, { section: "editor" }, {}], answered, options), [options, { tabSize: 4 }, null]);
  });

  it("keeps VS Code's answer while no server was launched", () => {
    assert.deepEqual(answerConfiguration([{ section: "fxlens" }], [{ a: 1 }], undefined), [{ a: 1 }]);
  });
});
