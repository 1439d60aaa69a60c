// Readers holding a request open until a partition has a record at or after
// their offset (Kafka fetches, HTTP streams, REST consumers). Woken by the
// writer when the readable end moves; nothing polls.

interface Waiter {
  offset: number;
  wake(ready: boolean): void;
}

export class DataWaiters {
  private readonly waiters = new Set<Waiter>();
  private closed = false;

  /**
   * True at once when `readableEnd` is past `offset`; else true when a later
   * `readable()` moves past it, false after `timeoutMs`, on abort or on close.
   */
  wait(offset: number, readableEnd: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (readableEnd > offset) return Promise.resolve(true);
    if (this.closed || timeoutMs <= 0 || signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const wake = (ready: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.waiters.delete(waiter);
        resolve(ready);
      };
      const onAbort = () => wake(false);
      const waiter: Waiter = { offset, wake };
      const timer = setTimeout(() => wake(false), timeoutMs);
      signal?.addEventListener("abort", onAbort);
      this.waiters.add(waiter);
    });
  }

  /** Records below `readableEnd` can be read now: wakes the readers waiting for them. */
  readable(readableEnd: number): void {
    for (const w of this.waiters) if (w.offset < readableEnd) w.wake(true);
  }

  /** Every waiting reader gets false, and later waits answer at once. */
  close(): void {
    this.closed = true;
    for (const w of [...this.waiters]) w.wake(false);
  }
}
