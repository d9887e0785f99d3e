/** Coalesces bursts of events (settings edits, interpreter switches) into one call. */

export interface Timers {
  set(callback: () => void, milliseconds: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (callback, milliseconds) => setTimeout(callback, milliseconds),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class Debouncer {
  private handle: unknown;
  private pending = false;

  constructor(
    private readonly delayMilliseconds: number,
    private readonly action: () => void,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Run the action `delayMilliseconds` after the last of a burst of triggers. */
  trigger(): void {
    this.cancel();
    this.pending = true;
    this.handle = this.timers.set(() => {
      this.pending = false;
      this.action();
    }, this.delayMilliseconds);
  }

  /** Drop a pending run (e.g. when a restart happens anyway, or on deactivation). */
  cancel(): void {
    if (this.pending) {
      this.timers.clear(this.handle);
      this.pending = false;
    }
  }

  get isPending(): boolean {
    return this.pending;
  }
}
