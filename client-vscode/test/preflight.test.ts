// The preflight: the check script run in real interpreters, and the problem each answer becomes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { type CheckRun, parseReport, preflightProblem, runCheck } from "../src/preflight";

const PYTHON = process.env.FXLENS_TEST_PYTHON ?? "python3";
const SERVER = resolve(__dirname, "../../../server");
const python = { command: "/v/bin/python", source: "setting" } as const;
const selected = { command: "/v/bin/python", source: "python-extension" } as const;
/** A trusted workspace, the Python extension installed, the interpreter's own fxlens. */
const installed = { executeCode: true, canSelect: true, bundled: false };

/** An executable shell script with `body`: an interpreter as the extension sees it. */
function script(body: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "fxlens-preflight-")), "python");
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** `PYTHON` run with `flags`, with `env` set. */
function wrapper(flags: string, env = ""): string {
  return script(`${env} exec ${PYTHON} ${flags} "$@"`);
}

function report(fields: Record<string, unknown>): CheckRun {
  return { exitCode: 0, stdout: `${JSON.stringify({ python: "3.11.7", torch: true, fxlens: "0.1.0", missing: [], ...fields })}\n`, stderr: "" };
}

describe("runCheck with real interpreters", () => {
  const hasFxlens = spawnSync(PYTHON, ["-c", "import fxlens, pygls, torch"], { env: { ...process.env, PYTHONPATH: SERVER } }).status === 0;

  it("finds fxlens, its dependencies and torch where they are installed", { skip: !hasFxlens && `${PYTHON} lacks fxlens, pygls or torch` }, async () => {
    const run = await runCheck(wrapper("", `PYTHONPATH=${SERVER}`), tmpdir());
    assert.ok("exitCode" in run && run.exitCode === 0, JSON.stringify(run));
    const parsed = parseReport(run.stdout);
    assert.equal(parsed?.torch, true);
    assert.deepEqual(parsed?.missing, []);
    assert.match(parsed?.fxlens ?? "", /^\d+\.\d+/);
    assert.equal(preflightProblem(python, run, installed), undefined);
  });

  it("says fxlens is not installed for a Python without it (no site-packages)", async () => {
    const run = await runCheck(wrapper("-S -E"), tmpdir());
    const problem = preflightProblem(selected, run, installed);
    assert.equal(problem?.fatal, true);
    assert.match(problem?.message ?? "", /the fxlens package is not installed for \/v\/bin\/python \(selected in the Python extension\)/);
    assert.deepEqual(problem?.remedies, ["selectInterpreter", "openSettings", "showLog"]);
  });

  it("names the server's missing dependencies when fxlens imports but pygls does not", async () => {
    const run = await runCheck(wrapper("-S", `PYTHONPATH=${SERVER}`), tmpdir());
    const problem = preflightProblem(python, run, { ...installed, canSelect: false });
    assert.equal(problem?.fatal, true);
    assert.match(problem?.message ?? "", /dependencies pygls, lsprotocol, tree-sitter, tree-sitter-python are missing/);
    assert.deepEqual(problem?.remedies, ["openSettings", "showLog"]);
  });

  it("reports an interpreter that does not exist", async () => {
    const run = await runCheck("/nonexistent/bin/python", tmpdir());
    assert.deepEqual(run, { spawnError: "no such file or command" });
    assert.match(preflightProblem(python, run, installed)?.message ?? "", /cannot run \/v\/bin\/python .*: no such file or command$/);
  });

  it("quotes the last stderr line of an interpreter that fails", async () => {
    const run = await runCheck(script("echo 'Fatal Python error: broken install' >&2; exit 1"), tmpdir());
    const problem = preflightProblem(python, run, installed);
    assert.equal(problem?.fatal, true);
    assert.match(problem?.message ?? "", /cannot run Python code \(exit code 1\): Fatal Python error: broken install$/);
  });
});

describe("preflightProblem", () => {
  it("is undefined when everything is there", () => {
    assert.equal(preflightProblem(python, report({}), installed), undefined);
  });

  it("says a Python without torch cannot trace, offers the interpreter picker, and still starts", () => {
    const problem = preflightProblem(selected, report({ torch: false }), installed);
    assert.equal(problem?.fatal, false);
    assert.match(problem?.message ?? "", /\/v\/bin\/python \(selected in the Python extension\) has no torch, so fxlens cannot trace models/);
    assert.doesNotMatch(problem?.message ?? "", /install fxlens/);
    assert.deepEqual(problem?.remedies, ["selectInterpreter", "openSettings"]);
  });

  it("offers only the settings while fxlens.interpreter is set (the picker would not change it), or without the Python extension", () => {
    assert.deepEqual(preflightProblem(python, report({ torch: false }), installed)?.remedies, ["openSettings"]);
    assert.deepEqual(preflightProblem(selected, report({ torch: false }), { ...installed, canSelect: false })?.remedies, ["openSettings"]);
  });

  it("does not ask for torch in restricted mode, where nothing is traced", () => {
    assert.equal(preflightProblem(python, report({ torch: false }), { ...installed, executeCode: false }), undefined);
  });

  it("quotes another fxlens import error", () => {
    const problem = preflightProblem(python, report({ fxlens: undefined, fxlensError: "ImportError: cannot import name 'x'" }), installed);
    assert.match(problem?.message ?? "", /cannot import fxlens: ImportError: cannot import name 'x'$/);
  });

  it("asks for Python 3.10 or newer", () => {
    const problem = preflightProblem(python, report({ python: "3.9.18" }), installed);
    assert.equal(problem?.fatal, true);
    assert.match(problem?.message ?? "", /is Python 3\.9\.18; fxlens needs Python 3\.10 or newer/);
    assert.equal(preflightProblem(python, report({ python: "3.10.0" }), installed), undefined);
  });

  it("says the bundle has no build for this Python, and how to use an installed fxlens instead", () => {
    const problem = preflightProblem(selected, report({ python: "3.15.0", missing: ["tree_sitter"] }), { ...installed, bundled: true });
    assert.equal(problem?.fatal, true);
    assert.match(problem?.message ?? "", /bundled with the extension has no tree-sitter for \/v\/bin\/python .*\(Python 3\.15\.0 on this platform\)/);
    assert.match(problem?.message ?? "", /set fxlens\.importStrategy to fromEnvironment/);
  });

  it("never tells the user to install fxlens when the bundle runs the server", () => {
    const problem = preflightProblem(selected, report({ fxlens: undefined, fxlensError: "SyntaxError: bad" }), { ...installed, bundled: true });
    assert.match(problem?.message ?? "", /the fxlens bundled with the extension cannot be imported by .*: SyntaxError: bad$/);
    assert.doesNotMatch(problem?.message ?? "", /pip install/);
  });

  it("treats output that is no report as a failure to run", () => {
    const problem = preflightProblem(python, { exitCode: 0, stdout: "hello\n", stderr: "" }, installed);
    assert.equal(problem?.fatal, true);
  });
});

describe("parseReport", () => {
  it("reads the last line and rejects other output", () => {
    assert.deepEqual(parseReport('noise\n{"python": "3.12.1", "torch": false, "missing": ["pygls"]}\n'), {
      python: "3.12.1",
      torch: false,
      fxlens: undefined,
      fxlensPath: undefined,
      fxlensError: undefined,
      missing: ["pygls"],
    });
    for (const stdout of ["", "null", "[1]", '{"python": 3, "torch": true, "missing": []}']) {
      assert.equal(parseReport(stdout), undefined, stdout);
    }
  });
});
