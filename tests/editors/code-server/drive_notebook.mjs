// Drives fxlens in a VS Code notebook in code-server (through code_server.mjs), for
// test_vscode_notebook.py: opens analysis.ipynb in the built-in notebook editor, reads the Problems
// panel, hovers a node string in a cell and types in a cell for suggestions (each step's failure
// under `errors`). Environment: code_server.mjs's.
import { drive, openFile, page, problemsMentioning, result, shapeHover, step, suggestionsWith } from "./code_server.mjs";

/** The span of the second cell's editor holding `text`. */
const inCell = (text) => page.locator(".notebook-editor .cell-editor-container .view-line span", { hasText: text }).last();

async function problems() {
  result.problems = await problemsMentioning("layer9");
  await page.keyboard.press("Control+Shift+M");
}

async function hover() {
  await inCell("layer1.0.relu_1").hover();
  result.hover = await shapeHover();
  await page.mouse.move(5, 5);
}

async function suggestions() {
  await inCell("layer9").click();
  await page.keyboard.press("End");
  await page.keyboard.press("Enter");
  await page.keyboard.type('more = create_feature_extractor(model, return_nodes=["layer1.0.re');
  await page.keyboard.press("Control+Space"); // no Escape first: in a notebook it leaves the cell's editor
  result.suggestions = await suggestionsWith("layer1.0.relu_1");
  await page.keyboard.press("Escape");
}

await drive(async () => {
  await openFile("analysis.ipynb", () => inCell("layer9").count(), "the notebook's cells");
  await step("problems", problems);
  await step("hover", hover);
  await step("suggestions", suggestions);
});
