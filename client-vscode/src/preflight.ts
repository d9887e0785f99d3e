/**
 * Before a server starts: can the chosen Python run the server (bundled or installed)? Runs a
 * short check script in that interpreter (it imports fxlens, which imports no torch) and turns the
 * answer into the problem the user is shown, or none.
 */

import { execFile } from "node:child_process";
import { describeInterpreter, type Interpreter } from "./interpreter";

const CHECK_TIMEOUT_MS = 30_000;

/**
 * Printed as one JSON line: the fxlens version and folder or why it cannot be imported, the
 * server's own dependencies that are missing (a native module's package is imported: a bundle may
 * lack the build for this Python), and whether torch is there (found, not imported: that takes
 * seconds). Its argument, when given, is the bundle's libs folder, put first on sys.path.
 */
const CHECK_SCRIPT = `
import importlib.util, json, os, sys
if len(sys.argv) > 1:
    sys.path.insert(0, sys.argv[1])
def found(name):
    try:
        return importlib.util.find_spec(name) is not None
    except Exception:
        return False
report = {"python": sys.version.split()[0], "torch": found("torch")}
try:
    import fxlens
    report["fxlens"] = fxlens.__version__
    report["fxlensPath"] = os.path.dirname(fxlens.__file__)
except Exception as error:
    report["fxlensError"] = type(error).__name__ + ": " + str(error)
modules = ("pygls", "lsprotocol", "tree_sitter._binding", "tree_sitter_python._binding")
report["missing"] = [name.split(".")[0] for name in modules if not found(name)]
print(json.dumps(report))
`;

/** What running the check script gave: it could not run, or its exit code and output. */
export type CheckRun = { readonly spawnError: string } | { readonly exitCode: number | null; readonly stdout: string; readonly stderr: string };

/** The check script's report (see `CHECK_SCRIPT`). */
export interface CheckReport {
  readonly python: string;
  readonly torch: boolean;
  readonly fxlens?: string;
  readonly fxlensPath?: string;
  readonly fxlensError?: string;
  readonly missing: readonly string[];
}

/** What the preflight needs to know beside the check's answer. */
export interface PreflightContext {
  /** Models are traced (a trusted workspace), so a Python without torch is worth saying. */
  readonly executeCode: boolean;
  /** The Python extension's interpreter picker is there to offer. */
  readonly canSelect: boolean;
  /** The server runs from the extension's bundle (see `bundle.ts`), not from the interpreter's fxlens. */
  readonly bundled: boolean;
}

/** The oldest Python fxlens runs on (pyproject.toml's requires-python). */
const MIN_PYTHON: readonly [number, number] = [3, 10];

/** What the user can do about a problem; the extension turns each into a button. */
export type Remedy = "selectInterpreter" | "openSettings" | "showLog";

export interface Problem {
  /** `fatal`: no server is started. Otherwise the server runs with less (no tracing without torch). */
  readonly fatal: boolean;
  readonly message: string;
  readonly remedies: readonly Remedy[];
}

/** Run the check script with `command` in `cwd` (the extension's folder, not the workspace); `libs`: the bundle's. */
export function runCheck(command: string, cwd: string, libs?: string): Promise<CheckRun> {
  const args = ["-c", CHECK_SCRIPT, ...(libs === undefined ? [] : [libs])];
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: CHECK_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error === null) {
        resolve({ exitCode: 0, stdout: String(stdout), stderr: String(stderr) });
      } else if (typeof error.code === "string") {
        resolve({ spawnError: error.code === "ENOENT" ? "no such file or command" : error.message });
      } else if (error.killed) {
        resolve({ spawnError: `it did not answer within ${CHECK_TIMEOUT_MS / 1000} s` });
      } else {
        resolve({ exitCode: error.code ?? null, stdout: String(stdout), stderr: String(stderr) });
      }
    });
  });
}

/** The check script's report from its output, or undefined when the output is something else. */
export function parseReport(stdout: string): CheckReport | undefined {
  const line = stdout.trim().split("\n").pop() ?? "";
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object") {
    return undefined;
  }
  const { python, torch, fxlens, fxlensPath, fxlensError, missing } = value as Record<string, unknown>;
  if (typeof python !== "string" || typeof torch !== "boolean" || !Array.isArray(missing)) {
    return undefined;
  }
  return {
    python,
    torch,
    fxlens: typeof fxlens === "string" ? fxlens : undefined,
    fxlensPath: typeof fxlensPath === "string" ? fxlensPath : undefined,
    fxlensError: typeof fxlensError === "string" ? fxlensError : undefined,
    missing: missing.filter((name): name is string => typeof name === "string"),
  };
}

/**
 * The problem `run` shows for `interpreter`, or undefined when the server can start as it is. The
 * interpreter picker is offered only while `fxlens.interpreter` is unset (the setting comes first).
 */
export function preflightProblem(interpreter: Interpreter, run: CheckRun, context: PreflightContext): Problem | undefined {
  const who = describeInterpreter(interpreter);
  const pick: Remedy[] = context.canSelect && interpreter.source !== "setting" ? ["selectInterpreter", "openSettings"] : ["openSettings"];
  if ("spawnError" in run) {
    return { fatal: true, message: `fxlens: cannot run ${who}: ${run.spawnError}`, remedies: [...pick, "showLog"] };
  }
  const report = parseReport(run.stdout);
  if (run.exitCode !== 0 || report === undefined) {
    const lastLine = run.stderr.trim().split("\n").pop() ?? "";
    const detail = lastLine ? `: ${lastLine}` : "";
    return { fatal: true, message: `fxlens: ${who} cannot run Python code (exit code ${run.exitCode})${detail}`, remedies: [...pick, "showLog"] };
  }
  const [major, minor] = report.python.split(".").map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    return { fatal: true, message: `fxlens: ${who} is Python ${report.python}; fxlens needs Python ${MIN_PYTHON.join(".")} or newer.`, remedies: pick };
  }
  const install = `install fxlens there (\`${interpreter.command} -m pip install fxlens\`) or choose a Python that has it`;
  if (report.fxlensError !== undefined) {
    const message = context.bundled
      ? `the fxlens bundled with the extension cannot be imported by ${who}: ${report.fxlensError}`
      : /No module named '?fxlens'?/.test(report.fxlensError)
        ? `the fxlens package is not installed for ${who}: ${install}.`
        : `${who} cannot import fxlens: ${report.fxlensError}`;
    return { fatal: true, message: `fxlens: ${message}`, remedies: [...pick, "showLog"] };
  }
  if (report.missing.length > 0) {
    const names = report.missing.map((name) => name.replace(/_/g, "-")).join(", ");
    const message = context.bundled
      ? `the server bundled with the extension has no ${names} for ${who} (Python ${report.python} on this platform): choose another Python, or set fxlens.importStrategy to fromEnvironment and ${install}.`
      : `the server's dependencies ${names} are missing in ${who}: reinstall fxlens there (\`${interpreter.command} -m pip install fxlens\`).`;
    return { fatal: true, message: `fxlens: ${message}`, remedies: [...pick, "showLog"] };
  }
  if (context.executeCode && !report.torch) {
    return {
      fatal: false,
      message: `fxlens: ${who} has no torch, so fxlens cannot trace models (no node names or shapes; static diagnostics only). Choose the interpreter of your PyTorch project.`,
      remedies: pick,
    };
  }
  return undefined;
}
