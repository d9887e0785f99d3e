// Times one cold "open a resnet50 script -> node names in the completion list" in code-server
// (headless Debian chromium, Playwright); run by bench_vscode_cold.py, which starts code-server.
// Environment: FXLENS_URL (code-server, with ?folder=), FXLENS_FILE (the script to open),
// FXLENS_TYPED (the line typed at its end, ending inside a node string), FXLENS_EXPECT (a label the
// list must hold), FXLENS_RESULT (where the JSON goes), FXLENS_SCREENSHOT (taken at the end).
// Times are epoch milliseconds (Date.now()), so the runner can set them beside its own clock.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(new URL("../tests/editors/code-server/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const TIMEOUT = 120_000;
// The suggestions are asked for (Escape, Ctrl+Space) and looked at once every ASK ms: the resolution.
// Looking more often would take CPU from the worker's import of torch on this 2-core machine.
const ASK = 200;
const result = { marks: {}, attempts: 0 };
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.setDefaultTimeout(TIMEOUT);

/** Wait until `read()` returns a truthy value (polling every `every` ms), and return it. */
async function until(read, what, every = 50) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(every);
  }
}

const cursor = () => page.locator("[id='status.editor.selection']").innerText();
const labels = () =>
  page.locator(".suggest-widget .monaco-list-row").evaluateAll((rows) => rows.map((row) => row.getAttribute("aria-label") ?? ""));

async function run() {
  result.marks.navigate = Date.now();
  await page.goto(process.env.FXLENS_URL);
  await page.waitForSelector(".monaco-workbench");
  await until(() => page.locator(".explorer-folders-view .monaco-list-row").count(), "the explorer");
  result.marks.workbench = Date.now();

  await page.keyboard.press("Control+P");
  await page.keyboard.type(process.env.FXLENS_FILE);
  await until(() => page.locator(".quick-input-list .monaco-list-row").count(), "quick open results");
  result.marks.open = Date.now();
  await page.keyboard.press("Enter");
  await until(async () => (await cursor()).startsWith("Ln "), "the editor's cursor position");
  result.marks.editor = Date.now();

  await page.keyboard.press("Control+End");
  await page.keyboard.type(process.env.FXLENS_TYPED);
  result.marks.typed = Date.now();
  const expected = process.env.FXLENS_EXPECT;
  for (;;) {
    if (Date.now() - result.marks.open > TIMEOUT) throw new Error(`no ${expected} in the suggestions`);
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+Space");
    result.attempts += 1;
    await page.waitForTimeout(ASK);
    const shown = await labels().catch(() => []);
    if (shown.some((label) => label.startsWith(expected))) {
      result.marks.names = Date.now();
      result.labels = shown;
      return;
    }
  }
}

try {
  await run();
} catch (error) {
  result.error = String(error?.stack ?? error);
}
await page.screenshot({ path: process.env.FXLENS_SCREENSHOT }).catch(() => undefined);
writeFileSync(process.env.FXLENS_RESULT, JSON.stringify(result, null, 2));
await browser.close();
process.exit(result.error ? 1 : 0);
