// Group commit for one partition: every append that arrives while a flush
// round runs waits for the next round, and one round makes all of them
// durable at once (one O_DSYNC writev per dirty segment, plus an fdatasync
// where bytes were written another way). Up to SYNC_ROUNDS_IN_FLIGHT_MAX
// rounds overlap, so the disk always has the next flush queued; rounds
// complete strictly in order, and each completed round is a recovery point.

import { StorageError } from "./errors.js";
import type { Segment } from "./segment.js";

/** Where the log was last known to be durable: recovery after a crash starts here. */
export interface RecoveryPoint {
  segment: number;
  position: number;
  offset: number;
}

interface SyncWaiter {
  resolve(): void;
  reject(err: Error): void;
}

interface SyncRound {
  waiters: SyncWaiter[];
  point: RecoveryPoint;
  done: boolean;
}

/** What a round needs from its partition. */
export interface GroupCommitHost {
  readonly name: string;
  /** Where the log ends now: what a round started now makes durable. */
  pointNow(): RecoveryPoint;
  /** A round completed: everything up to `point` is durable. */
  durable(point: RecoveryPoint): void;
  /** A round failed for a reason that passes (a full disk): go back to the last durable point. */
  failedTransiently(err: StorageError): void;
  /** A round failed for good: the file can no longer be trusted. */
  failedForGood(err: StorageError): void;
}

/** fdatasync rounds that may overlap on one partition. */
const SYNC_ROUNDS_IN_FLIGHT_MAX = 2;
/** Unflushed bytes that start a flush at once instead of on the next turn of the event loop. */
const SYNC_EAGER_BYTES = 256 * 1024;

export class GroupCommit {
  private waiting: SyncWaiter[] = [];
  private readonly rounds: SyncRound[] = [];
  private roundScheduled = false;
  private unsyncedBytes = 0;
  private readonly dirty = new Set<Segment>();
  /** Bumped by reset(): answers of rounds from before it are ignored. */
  private generation = 0;

  constructor(private readonly host: GroupCommitHost, private readonly onFlush?: (seconds: number) => void) {}

  /** `bytes` went to `segment` (queued or written) and are not durable yet. */
  written(segment: Segment, bytes: number): void {
    this.dirty.add(segment);
    this.unsyncedBytes += bytes;
  }

  /** The segment was made durable by other means (a roll): no round needs to flush it. */
  forget(segment: Segment): void {
    this.dirty.delete(segment);
  }

  /** Resolves when everything written so far is durable; concurrent callers share one round. */
  sync(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Answers every caller waiting for durability (in a round or for one) with `err`. */
  refuseWaiting(err: StorageError): void {
    for (const r of this.rounds.splice(0)) for (const w of r.waiters) w.reject(err);
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  /** Forgets every round in flight and what was dirty (the log goes back to its last durable point). */
  reset(err: StorageError): void {
    this.generation++;
    this.refuseWaiting(err);
    this.dirty.clear();
    this.unsyncedBytes = 0;
  }

  private schedule(): void {
    if (this.rounds.length >= SYNC_ROUNDS_IN_FLIGHT_MAX || this.waiting.length === 0) return;
    if (this.unsyncedBytes >= SYNC_EAGER_BYTES) {
      // Enough is waiting: flush it now, so the disk works while the next appends are still being written.
      this.startRound();
      return;
    }
    if (this.roundScheduled) return;
    // Start on the next turn of the event loop, so every append that became
    // ready in this turn writes first and shares the fdatasync.
    this.roundScheduled = true;
    setImmediate(() => {
      this.roundScheduled = false;
      this.startRound();
    });
  }

  private startRound(): void {
    if (this.waiting.length === 0) return;
    const round: SyncRound = { waiters: this.waiting, point: this.host.pointNow(), done: false };
    this.waiting = [];
    const segments = [...this.dirty];
    this.dirty.clear();
    this.unsyncedBytes = 0;
    this.rounds.push(round);
    const started = performance.now();
    const generation = this.generation;
    Promise.all(segments.map((s) => s.writePendingDurably().then(() => (s.needsDatasync ? s.datasync() : undefined)))).then(
      () => {
        if (generation !== this.generation) return; // reset meanwhile: its waiters were answered
        round.done = true;
        this.onFlush?.((performance.now() - started) / 1000);
        while (this.rounds[0]?.done) {
          const finished = this.rounds.shift()!;
          this.host.durable(finished.point);
          for (const w of finished.waiters) w.resolve();
        }
        this.schedule();
      },
      (cause: Error) => {
        if (generation !== this.generation) return;
        const err = cause instanceof StorageError ? cause : new StorageError(`fdatasync of ${this.host.name} failed: ${cause.message}`, cause);
        if (err.transient) this.host.failedTransiently(err);
        else this.host.failedForGood(err);
      },
    );
  }
}
