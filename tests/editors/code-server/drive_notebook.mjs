// Drives fxlens in a VS Code notebook in code-server with Playwright (headless Debian chromium), for
// test_vscode_notebook.py: opens analysis.ipynb in the built-in notebook editor, reads the Problems
// panel, hovers a node string in a cell and types in a cell for suggestions; writes what the page
// showed as JSON (each step's failure under `errors`). Environment: FXLENS_URL (code-server, with
// ?folder=), FXLENS_RESULT, FXLENS_SCREENSHOT (taken at the end or at a failing step).
import { writeFileSync } from "node:fs";
import { chromium } from "playwright-core";

const TIMEOUT = 120_000;
const result = { steps: [], errors: {} };
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.setDefaultTimeout(TIMEOUT);

async function until(read, what) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(250);
  }
}

async function step(name, check) {
  try {
    await check();
    result.steps.push(name);
  } catch (error) {
    result.errors[name] = String(error?.stack ?? error);
    await page.screenshot({ path: process.env.FXLENS_SCREENSHOT.replace(/\.png$/, `-${name}.png`) }).catch(() => undefined);
    await page.keyboard.press("Escape");
  }
}

/** The span of the second cell's editor holding `text`. */
const inCell = (text) => page.locator(".notebook-editor .cell-editor-container .view-line span", { hasText: text }).last();

async function problems() {
  await page.keyboard.press("Control+Shift+M");
  result.problems = await until(async () => {
    const rows = await page.locator(".markers-panel .monaco-list-row").allInnerTexts();
    return rows.some((row) => row.includes("layer9")) ? rows : undefined;
  }, "the unknown-node problem");
  await page.keyboard.press("Control+Shift+M");
}

async function hover() {
  const target = page.locator(".notebook-editor .cell-editor-container .view-line span", { hasText: "layer1.0.relu_1" }).last();
  await target.hover();
  result.hover = await until(() => page.locator(".monaco-hover:visible", { hasText: "×" }).first().innerText(), "a hover with a shape");
  await page.mouse.move(5, 5);
}

async function suggestions() {
  await inCell("layer9").click();
  await page.keyboard.press("End");
  await page.keyboard.press("Enter");
  await page.keyboard.type('more = create_feature_extractor(model, return_nodes=["layer1.0.re');
  await page.keyboard.press("Control+Space"); // no Escape first: in a notebook it leaves the cell's editor
  result.suggestions = await until(async () => {
    const labels = await page.locator(".suggest-widget .monaco-list-row").evaluateAll((rows) => rows.map((row) => row.getAttribute("aria-label") ?? ""));
    return labels.some((label) => label.includes("layer1.0.relu_1")) ? labels : undefined;
  }, "suggestions with layer1.0.relu_1");
  await page.keyboard.press("Escape");
}

try {
  await page.goto(process.env.FXLENS_URL);
  await page.waitForSelector(".monaco-workbench");
  await until(() => page.locator(".explorer-folders-view .monaco-list-row").count(), "the explorer");
  await page.keyboard.press("Control+P");
  await page.keyboard.type("analysis.ipynb");
  await until(() => page.locator(".quick-input-list .monaco-list-row").count(), "quick open results");
  await page.keyboard.press("Enter");
  await until(() => inCell("layer9").count(), "the notebook's cells");
  result.steps.push("opened");
  await step("problems", problems);
  await step("hover", hover);
  await step("suggestions", suggestions);
} catch (error) {
  result.error = String(error?.stack ?? error);
}
await page.screenshot({ path: process.env.FXLENS_SCREENSHOT }).catch(() => undefined);
writeFileSync(process.env.FXLENS_RESULT, JSON.stringify(result, null, 2));
await browser.close();
process.exit(result.error ? 1 : 0);
