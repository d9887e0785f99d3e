// Times one cold "open a resnet50 script -> node names in the completion list" in code-server
// (headless Debian chromium, Playwright, through the editor tests' code_server.mjs); run by
// bench_vscode_cold.py, which starts code-server.
// Environment: FXLENS_URL (code-server, with ?folder=), FXLENS_FILE (the script to open),
// FXLENS_TYPED (the line typed at its end, ending inside a node string), FXLENS_EXPECT (a label the
// list must hold), FXLENS_RESULT (where the JSON goes), FXLENS_SCREENSHOT (taken at the end);
// FXLENS_FLOOR_PYTHON, for a run without fxlens: at the open, that Python imports torch and
// torchvision beside the editor, and the run ends when it is done (mark `imported`), not at the names;
// FXLENS_PAUSE: milliseconds between the workbench's load and the open (a user finding the file).
// Times are epoch milliseconds (Date.now()), so the runner can set them beside its own clock.
import { spawn } from "node:child_process";
import { drive, loadWorkbench, page, result, until } from "../tests/editors/code-server/code_server.mjs";

// The suggestions are asked for (Escape, Ctrl+Space) and looked at once every ASK ms: the resolution.
// Looking more often would take CPU from the worker's import of torch on this 2-core machine.
const ASK = 200;
const TIMEOUT = 120_000;
Object.assign(result, { marks: {}, attempts: 0 });

const cursor = () => page.locator("[id='status.editor.selection']").innerText();
const labels = () =>
  page.locator(".suggest-widget .monaco-list-row").evaluateAll((rows) => rows.map((row) => row.getAttribute("aria-label") ?? ""));

async function run() {
  result.marks.navigate = Date.now();
  await loadWorkbench(50);
  result.marks.workbench = Date.now();
  await page.waitForTimeout(Number(process.env.FXLENS_PAUSE ?? 0));

  await page.keyboard.press("Control+P");
  await page.keyboard.type(process.env.FXLENS_FILE);
  await until(() => page.locator(".quick-input-list .monaco-list-row").count(), "quick open results", 50);
  result.marks.open = Date.now();
  const floor = process.env.FXLENS_FLOOR_PYTHON;
  if (floor) {
    spawn(floor, ["-c", "import torch, torchvision"], { stdio: "ignore" }).on("exit", () => (result.marks.imported = Date.now()));
  }
  await page.keyboard.press("Enter");
  await until(async () => (await cursor()).startsWith("Ln "), "the editor's cursor position", 50);
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
    if (floor && result.marks.imported) return;
    const shown = await labels().catch(() => []);
    if (shown.some((label) => label.startsWith(expected))) {
      result.marks.names = Date.now();
      result.labels = shown;
      return;
    }
  }
}

await drive(run);
