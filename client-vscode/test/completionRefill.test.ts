// CompletionRefill: an empty, incomplete answer given while the models were traced is asked again
// when they are, while the cursor is still in the name being typed where it was given.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { answerOf, CompletionRefill, type Spot } from "../src/completionRefill";

const LINE = 'more = create_feature_extractor(model, return_nodes=["layer1.0.re';
const QUOTE = LINE.indexOf('"') + 1;
const AT: Spot = { uri: "file:///w/extract.py", line: 5, character: QUOTE, lineText: LINE.slice(0, QUOTE) };
const TYPED_ON: Spot = { ...AT, character: LINE.length, lineText: LINE };
const WAITING = { items: 0, incomplete: true };

function refillAfter(...answers: [Spot, { items: number; incomplete: boolean }][]): CompletionRefill {
  const refill = new CompletionRefill();
  for (const [spot, answer] of answers) {
    refill.answered(refill.asked(), spot, answer);
  }
  return refill;
}

describe("CompletionRefill", () => {
  it("asks again where an empty, incomplete list was answered, once", () => {
    const refill = refillAfter([AT, WAITING]);
    assert.equal(refill.traced({ ...AT }), true);
    assert.equal(refill.traced({ ...AT }), false, "the next trace has nothing waiting");
  });

  it("asks again after the name was typed on from there (the trigger character's answer)", () => {
    assert.equal(refillAfter([AT, WAITING]).traced(TYPED_ON), true);
    assert.equal(refillAfter([AT, WAITING]).traced({ ...TYPED_ON, lineText: `${LINE}"]` }), true, "text after the cursor does not matter");
  });

  it("goes by the answer to the latest request, whatever order the answers come in", () => {
    const refill = new CompletionRefill();
    const first = refill.asked();
    const latest = refill.asked();
    refill.answered(latest, TYPED_ON, WAITING);
    refill.answered(first, { ...AT, character: QUOTE - 2, lineText: LINE.slice(0, QUOTE - 2) }, { items: 0, incomplete: false });
    assert.equal(refill.traced(TYPED_ON), true);
  });

  it("does not ask again after an answer that had items or was complete", () => {
    assert.equal(refillAfter([AT, WAITING], [AT, { items: 12, incomplete: true }]).traced(AT), false);
    assert.equal(refillAfter([AT, WAITING], [AT, { items: 0, incomplete: false }]).traced(AT), false);
  });

  it("does not ask again once the cursor left the name", () => {
    const elsewhere: (Spot | undefined)[] = [
      { ...TYPED_ON, line: 6 },
      { ...TYPED_ON, uri: "file:///w/other.py" },
      { ...AT, character: QUOTE - 1 },
      { ...TYPED_ON, lineText: LINE.replace("more", "less") },
      { ...TYPED_ON, character: LINE.length + 2, lineText: `${LINE}",` },
      undefined,
    ];
    for (const cursor of elsewhere) {
      assert.equal(refillAfter([AT, WAITING]).traced(cursor), false, JSON.stringify(cursor));
    }
  });
});

describe("answerOf", () => {
  it("reads items, lists and nothing", () => {
    assert.deepEqual(answerOf(null), { items: 0, incomplete: false });
    assert.deepEqual(answerOf(undefined), { items: 0, incomplete: false });
    assert.deepEqual(answerOf([1, 2]), { items: 2, incomplete: false });
    assert.deepEqual(answerOf({ isIncomplete: true, items: [] }), WAITING);
    assert.deepEqual(answerOf({ items: [1] }), { items: 1, incomplete: false });
  });
});
