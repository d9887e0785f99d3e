// Bundles the extension (dist/extension.js) and the node view's webview script (dist/nodeView.js),
// or, with --tests, each test/*.test.ts (out/test/).
// Tests are bundled without marking `vscode` external: a test that imports it fails to build.
import { build } from "esbuild";
import { readdirSync } from "node:fs";

const tests = process.argv.includes("--tests");
const production = process.argv.includes("--production");

const extension = {
  entryPoints: ["src/extension.ts"],
  outfile: "dist/extension.js",
  bundle: true,
  platform: "node",
  target: "node18",
  format: "cjs",
  external: ["vscode"],
  minify: production,
  sourcemap: !production,
  logLevel: "warning",
};
// The node view's script runs in the webview (a browser page), not in the extension host.
const webview = {
  entryPoints: ["src/webview/nodeView.ts"],
  outfile: "dist/nodeView.js",
  bundle: true,
  platform: "browser",
  target: "es2022",
  format: "iife",
  minify: production,
  logLevel: "warning",
};

await Promise.all(
  (tests
    ? [{
        entryPoints: readdirSync("test").filter((f) => f.endsWith(".test.ts")).map((f) => `test/${f}`),
        outdir: "out/test",
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        sourcemap: "inline",
        logLevel: "warning",
      }]
    : [extension, webview]
  ).map((options) => build(options)),
);
