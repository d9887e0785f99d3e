// A click in the node view puts the name into the call: replacing the string under the cursor,
// inserting at the cursor inside the collection, or appending to the collection.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planNameEdit, stringAt } from "../src/nodeEdit";
import type { ArgumentLiteral, LspPosition } from "../src/nodeTable";

/** Apply the planned edit of clicking `name` with the cursor at `|` in `marked`; the literal is the first `[...]`/`{...}`. */
function click(marked: string, name: string, form = "list"): string | undefined {
  const column = marked.indexOf("|");
  const text = marked.replace("|", "");
  const lines = text.split("\n");
  const cursorLine = text.slice(0, column).split("\n").length - 1;
  const cursor: LspPosition = { line: cursorLine, character: column - text.lastIndexOf("\n", column - 1) - 1 };
  const literals: ArgumentLiteral[] = [];
  const open = text.search(/[[{]/);
  if (open >= 0) {
    const close = text.indexOf(text[open] === "[" ? "]" : "}", open) + 1;
    const at = (offset: number) => ({ line: text.slice(0, offset).split("\n").length - 1, character: offset - text.lastIndexOf("\n", offset - 1) - 1 });
    literals.push({ kind: "return_nodes", form, range: { start: at(open), end: at(close) } });
  }
  const plan = planNameEdit((line) => lines[line] ?? "", cursor, literals, name);
  if (plan === undefined) {
    return undefined;
  }
  const offset = (p: LspPosition) => lines.slice(0, p.line).reduce((sum, line) => sum + line.length + 1, 0) + p.character;
  return text.slice(0, offset(plan.range.start)) + plan.text + text.slice(offset(plan.range.end));
}

describe("planNameEdit", () => {
  it("replaces the string under the cursor", () => {
    assert.equal(click('f(m, return_nodes=["lay|er1", "fc"])', "layer4"), 'f(m, return_nodes=["layer4", "fc"])');
    assert.equal(click('f(m, return_nodes=["layer1", "|fc"])', "layer4"), 'f(m, return_nodes=["layer1", "layer4"])');
    assert.equal(click('f(m, return_nodes=["layer1", "fc|"])', "layer4"), 'f(m, return_nodes=["layer1", "layer4"])');
    assert.equal(click('f(m, return_nodes=["|"])', "layer4"), 'f(m, return_nodes=["layer4"])');
    assert.equal(click("f(m, return_nodes=['a', 'b|'])", "c"), "f(m, return_nodes=['a', 'c'])");
  });

  it("inserts a new string at the cursor inside the collection, with the commas it needs", () => {
    assert.equal(click('f(m, return_nodes=[|])', "fc"), 'f(m, return_nodes=["fc"])');
    assert.equal(click('f(m, return_nodes=["a"|])', "fc"), 'f(m, return_nodes=["a", "fc"])');
    assert.equal(click('f(m, return_nodes=["a", |])', "fc"), 'f(m, return_nodes=["a", "fc"])');
    assert.equal(click('f(m, return_nodes=[|"a"])', "fc"), 'f(m, return_nodes=["fc", "a"])');
    assert.equal(click('f(m, return_nodes=["a",|"b"])', "fc"), 'f(m, return_nodes=["a", "fc", "b"])');
  });

  it("inserts a key and its output name into a dict", () => {
    assert.equal(click('f(m, return_nodes={"a": "x"|})', "fc", "dict"), 'f(m, return_nodes={"a": "x", "fc": "fc"})');
  });

  it("appends to the collection when the cursor is outside it", () => {
    assert.equal(click('|f(m, return_nodes=["a"])', "fc"), 'f(m, return_nodes=["a", "fc"])');
    assert.equal(click('|f(m, return_nodes=[])', "fc"), 'f(m, return_nodes=["fc"])');
    assert.equal(click('f(m, return_nodes=["a",])|', "fc"), 'f(m, return_nodes=["a", "fc"])');
    assert.equal(click('x = "not|e"\nf(m, return_nodes=["a"])', "fc"), 'x = "note"\nf(m, return_nodes=["a", "fc"])');
  });

  it("appends across lines of a multi-line collection", () => {
    assert.equal(click('|taps = [\n    "a",\n]', "fc"), 'taps = [\n    "a",\n "fc"]');
  });

  it("has no edit when the call has no collection written in the document", () => {
    assert.equal(click("f(m, return_nodes=ta|ps)", "fc"), undefined);
  });
});

describe("stringAt", () => {
  it("finds the content of the string holding a column, edges included", () => {
    assert.deepEqual(stringAt('x = ["ab", "cd"]', 6), { start: 6, end: 8 });
    assert.deepEqual(stringAt('x = ["ab", "cd"]', 8), { start: 6, end: 8 });
    assert.deepEqual(stringAt('x = ["ab", "cd"]', 12), { start: 12, end: 14 });
    assert.equal(stringAt('x = ["ab", "cd"]', 9), undefined);
    assert.deepEqual(stringAt('x = ["a\\"b"]', 8), { start: 6, end: 10 });
    assert.deepEqual(stringAt('x = ["unterminated', 10), { start: 6, end: 18 });
    assert.equal(stringAt('x = 1  # "comment"', 11), undefined);
  });
});
