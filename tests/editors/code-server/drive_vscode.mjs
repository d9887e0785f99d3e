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
  await step("nodeView", nodeView);
  await step("nodeLens", nodeLens);
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

/** The editor's line holding `text` (nbsp as spaces), or undefined. */
async function editorLine(text) {
  const lines = await page.locator(".monaco-editor .view-line").allInnerTexts();
  return lines.map((line) => line.replace(/\u00a0/g, " ")).find((line) => line.includes(text));
}

/** fxlens: Show Nodes at the first node string opens the node view; filter it, click a node, read the call. */
async function nodeView() {
  await page.keyboard.press("Escape");
  await page.locator(".monaco-editor .view-lines").first().click();
  await goTo(Number(process.env.FXLENS_LINE), Number(process.env.FXLENS_HOVER_COLUMN));
  await page.keyboard.press("F1");
  await page.keyboard.type("fxlens: Show Nodes");
  await until(() => page.locator(".quick-input-list .monaco-list-row", { hasText: "Show Nodes" }).count(), "the Show Nodes command");
  await page.keyboard.press("Enter");
  const view = page.frameLocator("iframe.webview.ready").frameLocator("iframe#active-frame");
  const names = (selector) => view.locator(`#rows ${selector} button.pick`).allInnerTexts();
  const selected = await until(async () => ((await names("tr")).length > 0 ? names("tr.selected") : undefined), "the node view's rows");
  const tree = await view.locator("#tree > details > summary button.pick, #tree > .leaf button.pick").allInnerTexts();
  await view.locator("#filter").fill("layer4.1.relu");
  const filtered = await until(async () => {
    const shown = await names("tr");
    return shown.length > 0 && shown.every((name) => name.includes("layer4.1.relu")) ? shown : undefined;
  }, "the filtered rows");
  await view.locator("#rows button.pick", { hasText: /^layer4\.1\.relu_1$/ }).click();
  const line = await until(() => editorLine('"layer4.1.relu_1"'), "the clicked node in the call");
  const selectedAfter = await until(async () => {
    const now = await names("tr.selected");
    return now.includes("layer4.1.relu_1") ? now : undefined;
  }, "the clicked node highlighted as selected");
  result.nodeView = { selected, tree, filtered, line, selectedAfter, title: await view.locator("#title").innerText() };
}

/**
 * With the cursor in the last call, the code lens of the first call opens the view on the first
 * call; a click appends the node to that call's list (the cursor is not in it).
 */
async function nodeLens() {
  await page.keyboard.press("Escape");
  await page.locator(".tab", { hasText: "Nodes of resnet18" }).locator(".codicon-close").click();
  await until(async () => (await page.locator("iframe.webview.ready").count()) === 0, "the node view closed");
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+End");
  const where = await until(async () => ((await cursor()).startsWith("Ln 7,") ? cursor() : undefined), "the cursor in the last call");
  const lenses = page.locator(".codelens-decoration a", { hasText: "show nodes" });
  await until(() => lenses.count(), "the code lenses");
  const tops = await lenses.evaluateAll((links) => links.map((link) => link.getBoundingClientRect().top));
  await lenses.nth(tops.indexOf(Math.min(...tops))).click();
  const view = page.frameLocator("iframe.webview.ready").frameLocator("iframe#active-frame");
  const selected = await until(async () => {
    const now = await view.locator("#rows tr.selected button.pick").allInnerTexts();
    return now.length > 0 ? now : undefined;
  }, "the first call's selection");
  await view.locator("#filter").fill("fc");
  await view.locator("#rows button.pick", { hasText: /^fc$/ }).click();
  const line = await until(() => editorLine('"fc"'), "the clicked node appended to the first call");
  result.nodeLens = { selected, line, cursor: where };
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
