import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseInterpreter, describeInterpreter, expandPath, FALLBACK_PYTHON } from "../src/interpreter";

describe("chooseInterpreter", () => {
  it("prefers the fxlens.interpreter setting over the Python extension", () => {
    assert.deepEqual(chooseInterpreter({ setting: "/opt/py/bin/python", pythonExtension: "/venv/bin/python", trusted: true }), {
      command: "/opt/py/bin/python",
      source: "setting",
    });
  });

  it("uses the Python extension's interpreter when the setting is empty or blank", () => {
    for (const setting of [undefined, null, "", "   "]) {
      assert.deepEqual(chooseInterpreter({ setting, pythonExtension: "/venv/bin/python", trusted: true }), {
        command: "/venv/bin/python",
        source: "python-extension",
      });
    }
  });

  it("falls back to python3 without a setting or the Python extension", () => {
    assert.deepEqual(chooseInterpreter({ setting: "", pythonExtension: undefined, trusted: true }), {
      command: FALLBACK_PYTHON,
      source: "fallback",
    });
    assert.equal(FALLBACK_PYTHON, "python3");
  });

  it("ignores the Python extension's (workspace-chosen) interpreter in an untrusted workspace", () => {
    assert.equal(chooseInterpreter({ setting: "", pythonExtension: "/ws/.venv/bin/python", trusted: false }).command, "python3");
    assert.equal(chooseInterpreter({ setting: "/usr/bin/python3.11", pythonExtension: "/ws/.venv/bin/python", trusted: false }).source, "setting");
  });

  it("trims the setting", () => {
    assert.equal(chooseInterpreter({ setting: "  /usr/bin/python3 ", pythonExtension: undefined, trusted: true }).command, "/usr/bin/python3");
  });
});

describe("expandPath", () => {
  const context = { home: "/home/ada", workspaceFolder: "/work/proj" };

  it("expands ~, ${userHome} and ${workspaceFolder}", () => {
    assert.equal(expandPath("~/venv/bin/python", context), "/home/ada/venv/bin/python");
    assert.equal(expandPath("~", context), "/home/ada");
    assert.equal(expandPath("${userHome}/py/bin/python", context), "/home/ada/py/bin/python");
    assert.equal(expandPath("${workspaceFolder}/.venv/bin/python", context), "/work/proj/.venv/bin/python");
  });

  it("leaves ~user, a ~ inside the path and absolute paths alone", () => {
    assert.equal(expandPath("~bob/bin/python", context), "~bob/bin/python");
    assert.equal(expandPath("/opt/a~/python", context), "/opt/a~/python");
    assert.equal(expandPath("/usr/bin/python3", context), "/usr/bin/python3");
  });

  it("keeps ${workspaceFolder} when there is no folder open", () => {
    assert.equal(expandPath("${workspaceFolder}/python", { home: "/h", workspaceFolder: undefined }), "${workspaceFolder}/python");
  });
});

describe("describeInterpreter", () => {
  it("says where the interpreter came from", () => {
    assert.match(describeInterpreter({ command: "/v/bin/python", source: "python-extension" }), /^\/v\/bin\/python \(selected in the Python extension\)$/);
    assert.match(describeInterpreter({ command: "python3", source: "fallback" }), /set fxlens\.interpreter/);
  });
});
