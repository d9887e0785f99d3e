/**
 * Before a server starts: can the chosen Python run `-m fxlens serve`? Runs a short check script
 * in that interpreter (it imports fxlens, which imports no torch) and turns the answer into the
 * problem the user is shown, or none.
 */

import { execFile } from "node:child_process";
import { describeInterpreter, type Interpreter } from "./interpreter";

const CHECK_TIMEOUT_MS = 30_000;

/**
 * Printed as one JSON line: the fxlens version or why it cannot be imported, the server's own
 * dependencies that are missing, and whether torch is there (found, not imported: that takes seconds).
 */
const CHECK_SCRIPT = `
import importlib.util, json, sys
def found(name):
    try:
        return importlib.util.find_spec(name) is not None
    except Exception:
        return False
report = {"python": sys.version.split()[0], "torch": found("torch")}
try:
    import fxlens
    report["fxlens"] = fxlens.__version__
except Exception as error:
    report["fxlensError"] = type(error).__name__ + ": " + str(error)
report["missing"] = [name for name in ("pygls", "lsprotocol", "tree_sitter", "tree_sitter_python") if not found(name)]
print(json.dumps(report))
`;

/** What running the check script gave: it could not run, or its exit code and output. */
export type CheckRun = { readonly spawnError: string } | { readonly exitCode: number | null; readonly stdout: string; readonly stderr: string };

/** The check script's report (see `CHECK_SCRIPT`). */
export interface CheckReport {
  readonly python: string;
  readonly torch: boolean;
  readonly fxlens?: string;
  readonly fxlensError?: string;
  readonly missing: readonly string[];
}

/** What the user can do about a problem; the extension turns each into a button. */
export type Remedy = "selectInterpreter" | "openSettings" | "showLog";

export interface Problem {
  /** `fatal`: no server is started. Otherwise the server runs with less (no tracing without torch). */
  readonly fatal: boolean;
  readonly message: string;
  readonly remedies: readonly Remedy[];
}

/** Run the check script with `command` in `cwd` (the extension's folder, not the workspace). */
export function runCheck(command: string, cwd: string): Promise<CheckRun> {
  return new Promise((resolve) => {
    execFile(command, ["-c", CHECK_SCRIPT], { cwd, timeout: CHECK_TIMEOUT_MS }, (error, stdout, stderr) => {
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
  const { python, torch, fxlens, fxlensError, missing } = value as Record<string, unknown>;
  if (typeof python !== "string" || typeof torch !== "boolean" || !Array.isArray(missing)) {
    return undefined;
  }
  return {
    python,
    torch,
    fxlens: typeof fxlens === "string" ? fxlens : undefined,
    fxlensError: typeof fxlensError === "string" ? fxlensError : undefined,
    missing: missing.filter((name): name is string => typeof name === "string"),
  };
}

/**
 * The problem `run` shows for `interpreter`, or undefined when the server can start as it is.
 * `executeCode`: models are traced (a trusted workspace), so a Python without torch is worth saying.
 * `canSelect`: the Python extension's interpreter picker is there to offer (it does not help while
 * `fxlens.interpreter` is set: the setting comes first).
 */
export function preflightProblem(interpreter: Interpreter, run: CheckRun, executeCode: boolean, canSelect: boolean): Problem | undefined {
  const who = describeInterpreter(interpreter);
  const pick: Remedy[] = canSelect && interpreter.source !== "setting" ? ["selectInterpreter", "openSettings"] : ["openSettings"];
  if ("spawnError" in run) {
    return { fatal: true, message: `fxlens: cannot run ${who}: ${run.spawnError}`, remedies: [...pick, "showLog"] };
  }
  const report = parseReport(run.stdout);
  if (run.exitCode !== 0 || report === undefined) {
    const lastLine = run.stderr.trim().split("\n").pop() ?? "";
    const detail = lastLine ? `: ${lastLine}` : "";
    return { fatal: true, message: `fxlens: ${who} cannot run Python code (exit code ${run.exitCode})${detail}`, remedies: [...pick, "showLog"] };
  }
  if (report.fxlensError !== undefined) {
    const install = /No module named '?fxlens'?/.test(report.fxlensError)
      ? `the fxlens package is not installed for ${who}. Install it there (\`${interpreter.command} -m pip install fxlens\`) or choose a Python that has it.`
      : `${who} cannot import fxlens: ${report.fxlensError}`;
    return { fatal: true, message: `fxlens: ${install}`, remedies: [...pick, "showLog"] };
  }
  if (report.missing.length > 0) {
    const names = report.missing.map((name) => name.replace(/_/g, "-")).join(", ");
    return {
      fatal: true,
      message: `fxlens: the server's dependencies ${names} are missing in ${who}: reinstall fxlens there (\`${interpreter.command} -m pip install fxlens\`).`,
      remedies: [...pick, "showLog"],
    };
  }
  if (executeCode && !report.torch) {
    return {
      fatal: false,
      message: `fxlens: ${who} has no torch, so fxlens cannot trace models (no node names or shapes; static diagnostics only). Choose the interpreter of your PyTorch project.`,
      remedies: pick,
    };
  }
  return undefined;
}
