// The bare minimum of a group commit, for the benches' references: buffers are
// queued and written with the engine's round policy (one O_DSYNC writev of
// what is queued per round; two rounds in flight; a round at once when
// 256 KiB wait, else on the next turn of the event loop), and nothing else:
// no validation, no offsets, no index.

import * as fs from "node:fs";

const ROUNDS_IN_FLIGHT_MAX = 2;
const ROUND_EAGER_BYTES = 256 * 1024;

export class BareGroupCommit {
  private readonly fd: number;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private waiting: (() => void)[] = [];
  private inFlight = 0;
  private position = 0;
  private scheduled = false;

  /** Creates (or truncates) `file`, opened O_DSYNC. */
  constructor(file: string) {
    this.fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_DSYNC);
  }

  /** Resolves once `bytes` are on disk; the caller must not change them before. */
  write(bytes: Buffer): Promise<void> {
    return new Promise<void>((resolve) => {
      this.queued.push(bytes);
      this.queuedBytes += bytes.length;
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private schedule(): void {
    if (this.inFlight >= ROUNDS_IN_FLIGHT_MAX || this.waiting.length === 0) return;
    if (this.queuedBytes >= ROUND_EAGER_BYTES) return this.startRound();
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.inFlight < ROUNDS_IN_FLIGHT_MAX) this.startRound();
    });
  }

  private startRound(): void {
    if (this.waiting.length === 0) return;
    const buffers = this.queued;
    const done = this.waiting;
    const at = this.position;
    this.position += this.queuedBytes;
    this.queued = [];
    this.queuedBytes = 0;
    this.waiting = [];
    this.inFlight++;
    fs.writev(this.fd, buffers, at, (err) => {
      if (err) throw err; // a bench has no one to report to: fail the run loudly
      this.inFlight--;
      for (const resolve of done) resolve();
      this.schedule();
    });
  }
}
