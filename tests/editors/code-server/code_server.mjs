// What the drivers of code-server share: a headless Debian chromium page, polling, steps whose failure
// is recorded (with a screenshot) without ending the run, opening a file by quick open, and reading
// the Problems panel, a hover and the suggestions. `drive(run)` runs a driver's steps and writes what
// the page showed as JSON. Environment: FXLENS_URL (code-server, with ?folder=), FXLENS_RESULT,
// FXLENS_SCREENSHOT (taken at the end, and as <name>-<step>.png at a failing step), FXLENS_LOGS
// (code-server's logs folder).
import { writeFileSync } from "node:fs";
import { chromium } from "playwright-core";

const TIMEOUT = 120_000;
/** What the page showed: each finished step's name in `steps`, each failed step's error under `errors`. */
export const result = { steps: [], errors: {} };
/** The page `drive` opened (set before it runs the driver's steps). */
export let page;

/** Open the page, run `run`, then write the result and exit (1 when an opening step failed). */
export async function drive(run) {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(TIMEOUT);
  try {
    await run();
  } catch (error) {
    result.error = String(error?.stack ?? error);
  }
  await page.screenshot({ path: process.env.FXLENS_SCREENSHOT }).catch(() => undefined);
  writeFileSync(process.env.FXLENS_RESULT, JSON.stringify(result, null, 2));
  await browser.close();
  process.exit(result.error ? 1 : 0);
}

/** Wait until `read()` returns a truthy value (polling every `every` ms), and return it. */
export async function until(read, what, every = 250) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(every);
  }
}

/** Run one check; a failure is recorded with a screenshot, and the next check starts from Escape. */
export async function step(name, check) {
  try {
    await check();
    result.steps.push(name);
  } catch (error) {
    result.errors[name] = String(error?.stack ?? error);
    await page.screenshot({ path: process.env.FXLENS_SCREENSHOT.replace(/\.png$/, `-${name}.png`) }).catch(() => undefined);
    await page.keyboard.press("Escape");
  }
}

/** Load the workbench on the workspace folder; done when the explorer lists it (looked for every `every` ms). */
export async function loadWorkbench(every = 250) {
  await page.goto(process.env.FXLENS_URL);
  await page.waitForSelector(".monaco-workbench");
  await until(() => page.locator(".explorer-folders-view .monaco-list-row").count(), "the explorer", every);
  result.steps.push("workbench");
}

/** Load the workbench and open `file` by quick open; done when `opened()` holds. */
export async function openFile(file, opened, what) {
  await loadWorkbench();
  await quickOpen(file, opened, what);
  result.steps.push("opened");
}

/** Open `file` by quick open (Ctrl+P) in the loaded workbench; done when `opened()` holds. */
export async function quickOpen(file, opened, what) {
  await page.keyboard.press("Control+P");
  await page.keyboard.type(file);
  await until(() => page.locator(".quick-input-list .monaco-list-row", { hasText: file }).count(), `quick open's ${file}`);
  await page.keyboard.press("Enter");
  await until(opened, what);
}

/** Open the Problems panel (Ctrl+Shift+M) and return its rows once one of them mentions `text`. */
export async function problemsMentioning(text) {
  await page.keyboard.press("Control+Shift+M");
  return until(async () => {
    const rows = await page.locator(".markers-panel .monaco-list-row").allInnerTexts();
    return rows.some((row) => row.includes(text)) ? rows : undefined;
  }, `a problem with ${text}`);
}

/** The text of the hover once one shows a shape (a `×`). */
export function shapeHover() {
  return until(() => page.locator(".monaco-hover:visible", { hasText: "×" }).first().innerText(), "a hover with a shape");
}

/** The suggestion widget's labels once one of them includes `label`. */
export function suggestionsWith(label) {
  return until(async () => {
    const labels = await page.locator(".suggest-widget .monaco-list-row").evaluateAll((rows) => rows.map((row) => row.getAttribute("aria-label") ?? ""));
    return labels.some((shown) => shown.includes(label)) ? labels : undefined;
  }, `suggestions with ${label}`);
}
