// Drives the fxlens extension in code-server (through code_server.mjs): its activation before any
// file is open; then on extract.py the language status, the Problems panel, a hover, suggestions,
// the node view and its code lens; then on blocks.py the traceability lenses of its nn.Module
// classes: their titles, the node view of the traceable one, the fix of the untraceable one, and an
// edit that breaks the traceable one. Each step's failure is recorded under `errors`, the opening
// steps stop the run. Environment: code_server.mjs's (FXLENS_LOGS among them), and FXLENS_LINE
// (1-based line of the extractor call), FXLENS_HOVER_COLUMN (1-based column inside its first node
// string), FXLENS_CLASS_LINES (1-based lines of blocks.py's `class Head`, `class Gate`, `class Net`),
// FXLENS_HEAD_FORWARD_LINE (Head's `def forward`), FXLENS_HEAD_IF (the line typed after it).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { drive, loadWorkbench, page, problemsMentioning, quickOpen, result, shapeHover, step, suggestionsWith, until } from "./code_server.mjs";

/** The editor's cursor position in the status bar, e.g. "Ln 5, Col 62". */
const cursor = () => page.locator("[id='status.editor.selection']").innerText();

async function goTo(line, column) {
  await page.keyboard.press("Control+G");
  await page.keyboard.type(`${line}:${column}`);
  await page.keyboard.press("Enter");
  await until(async () => (await cursor()).includes(`Ln ${line}, Col ${column}`), `the cursor at ${line}:${column}`);
}

async function run() {
  await loadWorkbench();
  await step("activation", activation);
  await quickOpen("extract.py", async () => (await cursor()).startsWith("Ln "), "the editor's cursor position");
  result.steps.push("opened");
  await step("status", status);
  await step("problems", problems);
  await step("hover", hover);
  await step("suggestions", suggestions);
  await step("nodeView", nodeView);
  await step("nodeLens", nodeLens);
  await step("classLenses", classLenses);
  await step("classLensNodes", classLensNodes);
  await step("classLensFix", classLensFix);
  await step("classLensEdit", classLensEdit);
  await step("refill", refill);
}

/** With no file open yet, the extension host's log says fxlens was activated, and by which event. */
async function activation() {
  const logs = process.env.FXLENS_LOGS;
  const activated = () =>
    readdirSync(logs, { recursive: true })
      .filter((name) => name.endsWith("exthost.log"))
      .flatMap((name) => readFileSync(join(logs, name), "utf8").split("\n"))
      .find((line) => line.includes("_doActivateExtension fxlens.fxlens"));
  result.activation = await until(async () => activated(), "fxlens's activation in the extension host's log");
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
  result.problems = await problemsMentioning("layer9");
}

/** Hover over the first node string (Ctrl+K Ctrl+I: show hover at the cursor). */
async function hover() {
  await page.locator(".monaco-editor .view-lines").first().click();
  await goTo(Number(process.env.FXLENS_LINE), Number(process.env.FXLENS_HOVER_COLUMN));
  await page.keyboard.press("Control+K");
  await page.keyboard.press("Control+I");
  result.hover = await shapeHover();
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
  result.suggestions = await suggestionsWith("layer1.0.relu_1");
}

/**
 * Back in extract.py, type a call on slow.py's `Slow` (3 s to build) and press nothing more: the
 * list the typed quote asked for while the model was traced fills in when its names arrive.
 */
async function refill() {
  await page.locator(".tab", { hasText: "extract.py" }).click();
  await until(async () => (await page.locator(".tab.active").innerText()).includes("extract.py"), "extract.py's tab");
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+End");
  await page.keyboard.press("Enter");
  await page.keyboard.type("from slow import Slow");
  await page.keyboard.press("Enter");
  await page.keyboard.type('late = create_feature_extractor(Slow(), return_nodes=["re');
  result.refill = await suggestionsWith("relu");
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

const CLASS_LINES = Object.fromEntries(
  ["Head", "Gate", "Net"].map((name, i) => [name, Number(process.env.FXLENS_CLASS_LINES.split(",")[i])]),
);

/** Close the node view's tab when one is open (an earlier step may have left it). */
async function closeNodeView() {
  const tab = page.locator(".tab", { hasText: "Nodes of" });
  if ((await tab.count()) > 0) await tab.first().locator(".codicon-close").click();
  await until(async () => (await page.locator("iframe.webview.ready").count()) === 0, "the node view closed");
}

/** The title of the code lens above `class <name>(` (scrolled into view), once `wanted(title)` holds. */
async function classLens(name, wanted, what) {
  await page.locator(".monaco-editor .view-lines").first().click();
  await goTo(CLASS_LINES[name], 1);
  let seen;
  try {
    return await until(async () => {
      seen = await page.evaluate((name) => {
        const text = (element) => element.textContent.replace(/\u00a0/g, " ");
        const line = [...document.querySelectorAll(".monaco-editor .view-line")].find((l) => text(l).startsWith(`class ${name}(`));
        if (line === undefined) return undefined;
        // the lens sits in the line's height right above it (a lens further up is another class's)
        const { top, height } = line.getBoundingClientRect();
        const lens = [...document.querySelectorAll(".codelens-decoration")].find((decoration) => {
          const bottom = decoration.getBoundingClientRect().bottom;
          return bottom <= top + 1 && bottom > top - height;
        });
        return lens === undefined ? undefined : text(lens).trim();
      }, name);
      return seen !== undefined && wanted(seen) ? seen : undefined;
    }, what);
  } catch (error) {
    throw new Error(`${error.message} (the lens above class ${name} said ${JSON.stringify(seen)})`);
  }
}

const resolved = (title) => title.startsWith("fx: ");

/**
 * Click the lens link `link` until `effect()` holds, and return that value and how many clicks it took:
 * VS Code drops a click on a lens whose widget is being re-rendered (the server asks for code lenses
 * again after every trace), so a click that shows no effect within a while is repeated.
 */
async function clickLens(link, effect, what) {
  for (let clicks = 1; ; clicks++) {
    await link.click();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const value = await effect().catch(() => undefined);
      if (value) return { value, clicks };
      await page.waitForTimeout(250);
    }
    if (clicks === 5) throw new Error(`${clicks} clicks on the lens and still not ${what}`);
  }
}

/** Open blocks.py: each class's lens resolves to its title. */
async function classLenses() {
  await page.keyboard.press("Escape");
  await closeNodeView();
  await page.locator(".monaco-editor .view-lines").first().click();
  await quickOpen("blocks.py", () => page.locator(".tab.active", { hasText: "blocks.py" }).count(), "blocks.py open");
  result.classLenses = {};
  for (const name of ["Head", "Gate", "Net"]) {
    result.classLenses[name] = await classLens(name, resolved, `the lens of ${name} resolved`);
  }
}

/** The traceable lens opens the node view of its class. */
async function classLensNodes() {
  await classLens("Head", (title) => title.startsWith("fx: traceable"), "Head's lens traceable");
  const view = page.frameLocator("iframe.webview.ready").frameLocator("iframe#active-frame");
  const opened = async () => {
    const shown = await view.locator("#title").innerText({ timeout: 1000 });
    return shown.includes("Head") && (await view.locator("#rows tr").count()) > 0 ? shown : undefined;
  };
  const link = page.locator(".codelens-decoration a", { hasText: "fx: traceable" });
  const { value: title, clicks } = await clickLens(link, opened, "the node view of Head");
  const rows = await view.locator("#rows tr button.pick").allInnerTexts();
  const selected = await view.locator("#rows tr.selected button.pick").allInnerTexts();
  result.classLensNodes = { title, rows, selected, clicks };
}

/** The untraceable lens writes its fix into the call on the class; then the lens says the call has it. */
async function classLensFix() {
  await page.keyboard.press("Escape");
  await closeNodeView();
  await classLens("Net", (title) => title.includes("a leaf"), "Net's lens with its fix");
  const link = page.locator(".codelens-decoration a", { hasText: "a leaf" });
  const { value: line, clicks } = await clickLens(link, () => editorLine("tracer_kwargs="), "the fix in the call");
  const lens = await classLens("Net", (title) => title.includes("(its calls here have the fix)"), "Net's lens after the fix");
  result.classLensFix = { line: line.trim(), lens, clicks };
}

/** A line typed into Head's forward that branches on a traced value: its lens turns to not traceable. */
async function classLensEdit() {
  await page.keyboard.press("Escape");
  await page.locator(".monaco-editor .view-lines").first().click();
  await goTo(Number(process.env.FXLENS_HEAD_FORWARD_LINE), 1);
  await page.keyboard.press("End");
  await page.keyboard.press("Enter");
  await page.keyboard.type(process.env.FXLENS_HEAD_IF);
  await page.keyboard.press("Escape");
  const line = await until(() => editorLine(process.env.FXLENS_HEAD_IF), "the typed line");
  const lens = await classLens("Head", (title) => title.startsWith("fx: not traceable"), "Head's lens not traceable");
  result.classLensEdit = { line, lens };
}

await drive(run);
