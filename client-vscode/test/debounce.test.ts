import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Debouncer, type Timers } from "../src/debounce";

/** A manual clock: `advance` runs the callbacks that fall due. */
class FakeTimers implements Timers {
  now = 0;
  private next = 0;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();

  set(callback: () => void, milliseconds: number): unknown {
    const handle = this.next++;
    this.pending.set(handle, { at: this.now + milliseconds, callback });
    return handle;
  }

  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  advance(milliseconds: number): void {
    this.now += milliseconds;
    for (const [handle, { at, callback }] of [...this.pending].sort((a, b) => a[1].at - b[1].at)) {
      if (at <= this.now) {
        this.pending.delete(handle);
        callback();
      }
    }
  }
}

describe("Debouncer", () => {
  it("runs once, delay after the last trigger of a burst", () => {
    const timers = new FakeTimers();
    let runs = 0;
    const debouncer = new Debouncer(500, () => runs++, timers);
    debouncer.trigger();
    timers.advance(300);
    debouncer.trigger();
    timers.advance(300);
    debouncer.trigger();
    timers.advance(499);
    assert.equal(runs, 0);
    assert.equal(debouncer.isPending, true);
    timers.advance(1);
    assert.equal(runs, 1);
    assert.equal(debouncer.isPending, false);
    timers.advance(10_000);
    assert.equal(runs, 1);
  });

  it("runs again for a later burst", () => {
    const timers = new FakeTimers();
    let runs = 0;
    const debouncer = new Debouncer(100, () => runs++, timers);
    debouncer.trigger();
    timers.advance(100);
    debouncer.trigger();
    timers.advance(100);
    assert.equal(runs, 2);
  });

  it("cancel drops the pending run", () => {
    const timers = new FakeTimers();
    let runs = 0;
    const debouncer = new Debouncer(100, () => runs++, timers);
    debouncer.trigger();
    debouncer.cancel();
    timers.advance(1000);
    assert.equal(runs, 0);
    assert.equal(debouncer.isPending, false);
  });

  it("works with real timers", async () => {
    let runs = 0;
    const debouncer = new Debouncer(20, () => runs++);
    debouncer.trigger();
    debouncer.trigger();
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(runs, 1);
  });
});
