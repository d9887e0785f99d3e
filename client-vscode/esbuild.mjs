// Bundles the extension (dist/extension.js) or, with --tests, each test/*.test.ts (out/test/).
// Tests are bundled without marking `vscode` external: a test that imports it fails to build.
import { build } from "esbuild";
import { readdirSync } from "node:fs";

const tests = process.argv.includes("--tests");
const production = process.argv.includes("--production");

await build(
  tests
    ? {
        entryPoints: readdirSync("test").filter((f) => f.endsWith(".test.ts")).map((f) => `test/${f}`),
        outdir: "out/test",
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        sourcemap: "inline",
        logLevel: "warning",
      }
    : {
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
      },
);
