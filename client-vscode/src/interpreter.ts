/** Which Python runs `-m fxlens serve`: the setting, then the Python extension's choice, then `python3`. */

export const FALLBACK_PYTHON = "python3";

export type InterpreterSource = "setting" | "python-extension" | "fallback";

export interface Interpreter {
  readonly command: string;
  readonly source: InterpreterSource;
}

export interface InterpreterInputs {
  /** `fxlens.interpreter`, already expanded (see `expandPath`); empty or undefined when unset. */
  readonly setting: string | null | undefined;
  /** The Python extension's active interpreter for the workspace, when that extension is present. */
  readonly pythonExtension: string | undefined;
  /** Workspace trust: an untrusted workspace may not pick the interpreter through the Python extension. */
  readonly trusted: boolean;
}

/**
 * The first interpreter that applies. In an untrusted workspace the Python extension's choice is
 * skipped: it is often the workspace's own virtual environment, i.e. code the workspace supplies.
 * (`fxlens.interpreter` is a restricted setting, so there it holds the user's value only.)
 */
export function chooseInterpreter(inputs: InterpreterInputs): Interpreter {
  const setting = inputs.setting?.trim();
  if (setting) {
    return { command: setting, source: "setting" };
  }
  if (inputs.trusted && inputs.pythonExtension) {
    return { command: inputs.pythonExtension, source: "python-extension" };
  }
  return { command: FALLBACK_PYTHON, source: "fallback" };
}

export interface PathContext {
  readonly home: string;
  readonly workspaceFolder: string | undefined;
}

/** `~`, `${userHome}` and `${workspaceFolder}` expanded, as in the Python extension's path settings. */
export function expandPath(value: string, context: PathContext): string {
  let path = value.trim();
  if (path === "~" || path.startsWith("~/")) {
    path = context.home + path.slice(1);
  }
  path = path.split("${userHome}").join(context.home);
  if (context.workspaceFolder !== undefined) {
    path = path.split("${workspaceFolder}").join(context.workspaceFolder);
  }
  return path;
}

/** How the output channel and status tooltip name the interpreter. */
export function describeInterpreter(interpreter: Interpreter): string {
  const origin = {
    setting: "from fxlens.interpreter",
    "python-extension": "selected in the Python extension",
    fallback: "the default; set fxlens.interpreter or select an interpreter in the Python extension",
  }[interpreter.source];
  return `${interpreter.command} (${origin})`;
}
