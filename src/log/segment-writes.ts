// The bytes going into one segment file, in file order. Two ways in: a batch
// written at once through the plain descriptor (flush on an interval), or
// batches queued and handed to the kernel together in one positional writev
// through a second descriptor opened O_DSYNC, on the thread pool (flush on
// every round: the write returns only once its bytes are on disk, one trip
// instead of a write and then an fdatasync). Writes may complete out of
// order; readers only ever see up to `readableEnd`, before which every byte
// is in the file.

import * as fs from "node:fs";
import { io } from "./file-io.js";
import { StorageError } from "./errors.js";
import { PooledFile, segmentFiles } from "./file-pool.js";

interface WriteInFlight {
  end: number;
  done: boolean;
  /** Resolves when this write and every earlier one are in the file. */
  settled: Promise<void>;
  complete(): void;
  fail(err: Error): void;
  resolveSettled(): void;
}

/** Tells the segment about async I/O on its files, which must stay open meanwhile. */
export interface IoTracker {
  started(): void;
  finished(): void;
}

/** Writes `buffers` at `position`, skipping the first `skip` bytes (already written). */
function writeAllAt(fd: number, buffers: Buffer[], position: number, skip: number): void {
  let at = 0;
  for (const b of buffers) {
    let from = Math.max(0, skip - at);
    while (from < b.length) from += io.writeSync(fd, b, from, b.length - from, position + at + from);
    at += b.length;
  }
}

export class SegmentWrites {
  /** Batches queued for the next durable write. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Where the next write to the file starts: every byte before it is written or being written. */
  private writeEnd: number;
  /** Every byte before this is in the file: reads never go past it. */
  readableEnd: number;
  /** Writes handed to the kernel whose completion has not yet moved readableEnd, in file order. */
  private readonly writesInFlight: WriteInFlight[] = [];
  /** Set when queued batches could not be written: every later durable write fails with it. */
  private writeFailure: StorageError | undefined;
  /** The .log opened O_DSYNC (opened on first use, through the pool). */
  private durableFile: PooledFile | undefined;
  /** Bytes went through the plain descriptor since the last fdatasync began. */
  writtenSinceSync = false;

  constructor(private readonly file: PooledFile, private readonly logPath: string, size: number, private readonly io: IoTracker) {
    this.writeEnd = this.readableEnd = size;
  }

  get idle(): boolean {
    return this.pendingBytes === 0 && this.writesInFlight.length === 0;
  }

  /** Queues a batch for the next durable write; the caller must not change the buffer until it is written. */
  queue(batch: Buffer): void {
    this.pending.push(batch);
    this.pendingBytes += batch.length;
  }

  /** Writes one batch at the end of the file now (after anything queued); cuts it off again if the write fails. */
  writeNow(batch: Buffer): void {
    this.writePendingNow();
    const position = this.writeEnd;
    let written = 0;
    try {
      const fd = this.file.descriptor();
      while (written < batch.length) written += io.writeSync(fd, batch, written, batch.length - written, position + written);
    } catch (err) {
      // Leave no half batch behind: the file must end on a batch boundary.
      io.ftruncateSync(this.file.descriptor(), position);
      throw new StorageError(`write to ${this.logPath} failed: ${(err as Error).message}`, err);
    }
    this.writeEnd = position + batch.length;
    this.writtenSinceSync = true;
    // Readable once every earlier write is in too (a durable write may still be in flight).
    this.track(this.writeEnd).complete();
  }

  /**
   * Writes every queued batch in one positional writev through the O_DSYNC
   * descriptor. Resolves once they and every earlier write are in the file;
   * after a failed write, later ones fail too (the partition refuses writes
   * from then on).
   */
  writePendingDurably(): Promise<void> {
    if (this.writeFailure) return Promise.reject(this.writeFailure);
    if (this.pendingBytes === 0) {
      const last = this.writesInFlight[this.writesInFlight.length - 1];
      return last ? last.settled : Promise.resolve();
    }
    const durable = this.durableFile ??= new PooledFile(segmentFiles, this.logPath, fs.constants.O_WRONLY | fs.constants.O_DSYNC);
    const { buffers, position, length } = this.takePending();
    const write = this.track(this.writeEnd);
    this.io.started();
    segmentFiles.withPinned(durable, (fd) => new Promise<void>((resolve, reject) => {
      io.writev(fd, buffers, position, (err, written) => {
        try {
          // A short write is finished synchronously; nothing else writes this range.
          if (!err && written < length) writeAllAt(fd, buffers, position, written);
        } catch (e) {
          err = e as NodeJS.ErrnoException;
        }
        if (err) reject(err);
        else resolve();
      });
    })).then(
      () => {
        this.io.finished();
        write.complete();
      },
      (err: Error) => {
        this.io.finished();
        const opening = (err as NodeJS.ErrnoException).syscall === "open";
        write.fail(new StorageError(`${opening ? `cannot open ${this.logPath} for durable writes` : `write to ${this.logPath} failed`}: ${err.message}`, err));
      },
    );
    return write.settled;
  }

  /** Writes every queued batch synchronously (before a roll, a close or a direct write). */
  writePendingNow(): void {
    if (this.pendingBytes === 0) return;
    const { buffers, position } = this.takePending();
    try {
      writeAllAt(this.file.descriptor(), buffers, position, 0);
    } catch (err) {
      // Those batches were given offsets and wait for a round: that round must fail, not succeed without them.
      this.writeFailure = new StorageError(`write to ${this.logPath} failed: ${(err as Error).message}`, err);
      throw this.writeFailure;
    }
    this.writtenSinceSync = true;
    this.track(this.writeEnd).complete();
  }

  /** Forgets queued batches that were never written (their round failed and the log rolls back). */
  discardPending(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** The file was cut at `position` (nothing in flight). */
  truncated(position: number): void {
    this.writeEnd = this.readableEnd = position;
  }

  closeDurableFile(): void {
    this.durableFile?.close();
  }

  /** Records a write in file order; readableEnd moves past it once it and every earlier write completed. */
  private track(end: number): WriteInFlight {
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const settled = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const write: WriteInFlight = {
      end, done: false, settled,
      complete: () => {
        write.done = true;
        while (this.writesInFlight[0]?.done) {
          const first = this.writesInFlight.shift()!;
          this.readableEnd = first.end;
          first.resolveSettled();
        }
      },
      fail: reject,
      resolveSettled: resolve,
    };
    this.writesInFlight.push(write);
    return write;
  }

  /** Takes the queued batches, which go to the file at writeEnd; writeEnd moves past them. */
  private takePending(): { buffers: Buffer[]; position: number; length: number } {
    const taken = { buffers: this.pending, position: this.writeEnd, length: this.pendingBytes };
    this.pending = [];
    this.pendingBytes = 0;
    this.writeEnd += taken.length;
    return taken;
  }
}
