/**
 * How the server is run: from the fxlens bundled with the extension (`bundled/libs`, put first on
 * `sys.path` by `bundled/tool/serve.py`; the interpreter needs nothing installed) or from the
 * interpreter's own installation (`-m fxlens`), per `fxlens.importStrategy`.
 */

import * as path from "node:path";

export type ImportStrategy = "useBundled" | "fromEnvironment";

export const DEFAULT_IMPORT_STRATEGY: ImportStrategy = "useBundled";

/** Where the bundle lies in the extension (see scripts/bundle_libs.py). */
export interface BundlePaths {
  readonly libs: string;
  readonly serve: string;
}

export function bundlePaths(extensionPath: string): BundlePaths {
  return { libs: path.join(extensionPath, "bundled", "libs"), serve: path.join(extensionPath, "bundled", "tool", "serve.py") };
}

/** The server's arguments after the interpreter, and the libraries the preflight must put on sys.path. */
export interface ServerCommand {
  readonly args: readonly string[];
  /** Set when the bundle runs the server. */
  readonly libs?: string;
}

/**
 * The bundle when asked for and present (a `.vsix` built without `npm run bundle` has none), else
 * the interpreter's own fxlens. `setting`: `fxlens.importStrategy` as the user spelled it.
 */
export function serverCommand(setting: string | undefined, bundle: BundlePaths, bundlePresent: boolean): ServerCommand {
  const strategy = setting === "fromEnvironment" ? "fromEnvironment" : DEFAULT_IMPORT_STRATEGY;
  if (strategy === "useBundled" && bundlePresent) {
    return { args: [bundle.serve, "serve"], libs: bundle.libs };
  }
  return { args: ["-m", "fxlens", "serve"] };
}
