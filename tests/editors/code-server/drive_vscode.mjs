// Drives the fxlens extension in code-server with Playwright (headless Debian chromium) and writes
// what the page showed as JSON (each step's failure under `errors`; the opening steps stop the run). Environment: FXLENS_URL (code-server, with ?folder=), FXLENS_RESULT,
// FXLENS_SCREENSHOT (taken at the end or at the failing step), FXLENS_LINE (1-based line of the
// extractor call), FXLENS_HOVER_COLUMN (1-based column inside its first node string).
import { writeFileSync } from "node:fs";
import { chromium } from "playwright-core";

const TIMEOUT = 120_000;
const result = { steps: [], errors: {} };
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.setDefaultTimeout(TIMEOUT);

/** Wait until `read()` returns a truthy value (polling), and return it. */
async function until(read, what) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(250);
  }
}

/** The editor's cursor position in the status bar, e.g. "Ln 5, Col 62". */
const cursor = () => page.locator("[id='status.editor.selection']").innerText();

async function goTo(line, column) {
  await page.keyboard.press("Control+G");
  await page.keyboard.type(`${line}:${column}`);
  await page.keyboard.press("Enter");
  await until(async () => (await cursor()).includes(`Ln ${line}, Col ${column}`), `the cursor at ${line}:${column}`);
}

async function run() {
  await page.goto(process.env.FXLENS_URL);
  await page.waitForSelector(".monaco-workbench");
  await until(() => page.locator(".explorer-folders-view .monaco-list-row").count(), "the explorer");
  result.steps.push("workbench");

  await page.keyboard.press("Control+P");
  await page.keyboard.type("extract.py");
  await until(() => page.locator(".quick-input-list .monaco-list-row").count(), "quick open results");
  await page.keyboard.press("Enter");
  await until(async () => (await cursor()).startsWith("Ln "), "the editor's cursor position");
  result.steps.push("opened");
  await step("status", status);
  await step("problems", problems);
  await step("hover", hover);
  await step("suggestions", suggestions);
}

/** Run one check; a failure is recorded with a screenshot, and the next check starts from Escape. */
async function step(name, check) {
  try {
    await check();
    result.steps.push(name);
  } catch (error) {
    result.errors[name] = String(error?.stack ?? error);
    await page.screenshot({ path: `${process.env.FXLENS_SCREENSHOT.replace(/\.png$/, "")}-${name}.png` }).catch(() => undefined);
    await page.keyboard.press("Escape");
  }
}

/** fxlens's entry in the language status for Python reaches "ready", at information severity (sev1). */
async function status() {
  const entry = page.locator("[id='status.languageStatus']");
  await until(async () => /fxlens: [^,]* · Server: /.test((await entry.getAttribute("aria-label")) ?? ""), "fxlens in the language status");
  await entry.hover();
  const item = page.locator(".hover-language-status", { hasText: "fxlens" }).first();
  await until(() => item.locator(".left .codicon-check").count(), "the fxlens language status item's ready state");
  result.status = {
    id: await entry.getAttribute("id"),
    text: await item.innerText(),
    label: await entry.getAttribute("aria-label"),
    severity: await item.locator(".severity").getAttribute("class"),
  };
  await page.keyboard.press("Escape");
}

/** The Problems panel lists the unknown node. */
async function problems() {
  await page.keyboard.press("Control+Shift+M");
  result.problems = await until(async () => {
    const rows = await page.locator(".markers-panel .monaco-list-row").allInnerTexts();
    return rows.some((row) => row.includes("layer9")) ? rows : undefined;
  }, "the unknown-node problem");
}

/** Hover over the first node string (Ctrl+K Ctrl+I: show hover at the cursor). */
async function hover() {
  await page.locator(".monaco-editor .view-lines").first().click();
  await goTo(Number(process.env.FXLENS_LINE), Number(process.env.FXLENS_HOVER_COLUMN));
  await page.keyboard.press("Control+K");
  await page.keyboard.press("Control+I");
  result.hover = await until(() => page.locator(".monaco-hover:visible", { hasText: "×" }).first().innerText(), "a hover with a shape");
  await page.keyboard.press("Escape");
}

/** Type a new call and ask for suggestions inside its node string. */
async function suggestions() {
  await page.keyboard.press("Control+End");
  await page.keyboard.press("Enter");
  await page.keyboard.type('more = create_feature_extractor(model, return_nodes=["layer1.0.re');
  await until(async () => (await cursor()).startsWith("Ln "), "the cursor position");
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+Space");
  result.suggestions = await until(async () => {
    const labels = await page.locator(".suggest-widget .monaco-list-row").evaluateAll((rows) => rows.map((row) => row.getAttribute("aria-label") ?? ""));
    return labels.some((label) => label.includes("layer1.0.relu_1")) ? labels : undefined;
  }, "suggestions with layer1.0.relu_1");
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
