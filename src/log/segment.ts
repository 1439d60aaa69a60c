// One segment of a partition: `<baseOffset>.log` holding RecordBatch v2 bytes
// exactly as the Kafka wire carries them, with its `.index` and `.timeindex`,
// their loading and recovery, and reads by offset and time. How bytes get into
// the file is segment-writes.ts; how its batches are walked, segment-walk.ts.
// Index look-ups, header walks, truncations and index writes are synchronous
// on purpose: they never interleave with another operation on the same
// segment, and they touch a few pages of the page cache. The bytes a reader is
// sent are read on the thread pool (the file pinned open meanwhile), so a cold
// read of megabytes never stalls the event loop; reads stop at the end of what
// is already written.

import { io } from "./file-io.js";
import * as path from "node:path";
import {
  BASE_OFFSET, BATCH_LENGTH, CURRENT_MAGIC, HEADER_SIZE, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAGIC,
  batchCrcMatches, readInt64,
} from "../protocol/record-batch-header.js";
import { SparseIndex } from "./sparse-index.js";
import { StorageError, assert } from "./errors.js";
import { reportDamage } from "./damage-report.js";
import { PooledFile, segmentFiles } from "./file-pool.js";
import { SegmentWrites } from "./segment-writes.js";
import { nextIntactBatch, walkBatches, type Damage, type WalkedBatch } from "./segment-walk.js";


export function segmentFileName(baseOffset: number, extension: ".log" | ".index" | ".timeindex" | ".txnindex"): string {
  return String(baseOffset).padStart(20, "0") + extension;
}

export interface RecoveryResult {
  truncatedBytes: number;
  damage?: Damage;
}

export class Segment {
  size = 0;
  /** Offset after the last batch (baseOffset when empty). */
  nextOffset: number;
  /** Largest batch maxTimestamp in the segment (-1 when empty). */
  maxTimestamp = -1;
  /** Base offset of the batch that carries maxTimestamp. */
  private maxTimestampOffset = -1;
  /** Timestamp of the first batch, for segment.ms rolls (wall clock when empty). */
  firstTimestamp = -1;
  /** When the segment was created (its file's birth, where the filesystem keeps it): segment.ms for records without timestamps. */
  createdMs: number;
  private loaded = false;
  private bytesSinceIndexEntry = 0;
  /** Writes and fdatasync calls in flight; the files stay open until they finish. */
  private ioInFlight = 0;
  /** The bytes going into the file, and how far it is readable. */
  private readonly writes: SegmentWrites;
  private closeRequested = false;
  /** Rolled: no more durable writes come, so the O_DSYNC descriptor closes once idle. */
  private sealed = false;
  /** Woken when no write, read or fdatasync is in flight. */
  private idleWaiters: (() => void)[] = [];
  /**
   * Where the batch after the last read starts: a consumer reading on from
   * there needs no index look-up and no header walk.
   */
  private readCursor: { offset: number; position: number } | undefined;
  /** Counts truncations, so a read that spans one does not leave a stale cursor. */
  private truncations = 0;
  /** The .index and .timeindex; none for a read-only segment (log verify), which never opens, creates or repairs them. */
  private readonly indexes: { offset: SparseIndex; time: SparseIndex } | undefined;
  private readonly readOnly: boolean;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly file: PooledFile,
    private indexIntervalBytes: number,
    readOnly = false,
  ) {
    this.nextOffset = baseOffset;
    const stat = io.fstatSync(file.descriptor());
    this.size = stat.size;
    this.createdMs = stat.birthtimeMs > 0 ? stat.birthtimeMs : stat.mtimeMs;
    this.writes = new SegmentWrites(file, this.logPath, this.size, { started: () => this.ioInFlight++, finished: () => this.ioFinished() });
    this.readOnly = readOnly;
    this.indexes = readOnly ? undefined : {
      offset: SparseIndex.openOffsetIndex(path.join(dir, segmentFileName(baseOffset, ".index"))),
      time: SparseIndex.openTimeIndex(path.join(dir, segmentFileName(baseOffset, ".timeindex"))),
    };
  }

  private get offsetIndex(): SparseIndex {
    return this.indexFiles().offset;
  }

  private get timeIndex(): SparseIndex {
    return this.indexFiles().time;
  }

  private indexFiles(): { offset: SparseIndex; time: SparseIndex } {
    if (!this.indexes) throw new Error(`segment ${this.baseOffset} of ${this.dir} was opened read-only, without its index files`);
    return this.indexes;
  }

  /** Opens the .log file only, for reading: used by `log verify`, which must change nothing. */
  static openReadOnly(dir: string, baseOffset: number): Segment {
    return new Segment(dir, baseOffset, new PooledFile(segmentFiles, path.join(dir, segmentFileName(baseOffset, ".log")), "r"), 0, true);
  }

  get logPath(): string {
    return path.join(this.dir, segmentFileName(this.baseOffset, ".log"));
  }

  /**
   * The time retention.ms measures a segment by: its largest record timestamp,
   * or, when its records carry none (message format 0, or a producer's -1),
   * when the file was last written, as Kafka does. A missing timestamp must
   * never make data look infinitely old.
   */
  get retentionTimestamp(): number {
    if (this.maxTimestamp >= 0) return this.maxTimestamp;
    return io.statSync(this.logPath).mtimeMs;
  }

  /** A new empty segment; its directory entry is made durable by the caller's directory fsync. */
  static create(dir: string, baseOffset: number, indexIntervalBytes: number): Segment {
    const file = path.join(dir, segmentFileName(baseOffset, ".log"));
    for (const ext of [".index", ".timeindex"] as const) io.removeSync(path.join(dir, segmentFileName(baseOffset, ext)));
    io.closeSync(io.openSync(file, "wx"));
    // Its aborted-transaction index, empty: a segment without one is from before them (or damaged).
    io.createFileSync(path.join(dir, segmentFileName(baseOffset, ".txnindex")), Buffer.alloc(0), false);
    const segment = new Segment(dir, baseOffset, new PooledFile(segmentFiles, file, "r+"), indexIntervalBytes);
    segment.loaded = true;
    return segment;
  }

  /** Opens an existing segment without reading it; call loadTrusted() or recover() before use. */
  static open(dir: string, baseOffset: number, indexIntervalBytes: number): Segment {
    return new Segment(dir, baseOffset, new PooledFile(segmentFiles, path.join(dir, segmentFileName(baseOffset, ".log")), "r+"), indexIntervalBytes);
  }

  setIndexInterval(bytes: number): void {
    this.indexIntervalBytes = bytes;
  }

  readAt(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = io.readSync(this.file.descriptor(), buf, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? buf : buf.subarray(0, done);
  }

  /**
   * Reads off the event loop (the bytes a consumer is sent); the file stays
   * open until the read is done, even if the segment closes meanwhile.
   */
  private readAtAsync(position: number, length: number): Promise<Buffer> {
    this.ioInFlight++;
    return segmentFiles.withPinned(this.file, (fd) => new Promise<Buffer>((resolve, reject) => {
      const buf = Buffer.allocUnsafe(length);
      let done = 0;
      const more = (): void => io.read(fd, buf, done, length - done, position + done, (err, n) => {
        if (err) return reject(err);
        done += n;
        if (n === 0 || done === length) resolve(done === length ? buf : buf.subarray(0, done));
        else more();
      });
      more();
    })).finally(() => this.ioFinished());
  }

  /** The batches in [from, to), by their headers (see walkBatches); the generator's result is the damage it stopped at. */
  walk(from = 0, to = this.writes.readableEnd, verify = false): Generator<WalkedBatch, Damage | undefined> {
    return walkBatches((position, length) => this.readAt(position, length), this.baseOffset, from, to, verify);
  }

  /**
   * Both indexes are sparse, one entry per index interval (as Kafka's are):
   * the time index then holds the largest timestamp so far and the batch that
   * carries it, so every batch before that one has no later timestamp.
   */
  private noteTimestamp(batch: WalkedBatch): void {
    if (batch.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = batch.maxTimestamp;
      this.maxTimestampOffset = batch.baseOffset;
    }
  }

  private takeMaxTimestampFromIndex(): void {
    const entries = this.timeIndex.entries > 0;
    this.maxTimestamp = entries ? this.timeIndex.lastKey : -1;
    this.maxTimestampOffset = entries ? this.baseOffset + this.timeIndex.lastValue : -1;
  }

  private index(batch: WalkedBatch): void {
    this.noteTimestamp(batch);
    if (this.bytesSinceIndexEntry >= this.indexIntervalBytes || this.offsetIndex.entries === 0 && batch.position > 0) {
      this.offsetIndex.append(batch.baseOffset - this.baseOffset, batch.position);
      this.timeIndex.append(this.maxTimestamp, this.maxTimestampOffset - this.baseOffset);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += batch.size;
    this.nextOffset = batch.lastOffset + 1;
    if (this.firstTimestamp === -1) this.firstTimestamp = batch.maxTimestamp;
  }

  /**
   * Opens a segment known to be durable (flushed before the last checkpoint,
   * at a roll, or before a clean shutdown): loads its indexes and reads only
   * the tail after the last index entry. A damaged index, or damage in the
   * tail, makes it rebuild the indexes from the whole file; nothing is cut.
   */
  loadTrusted(): RecoveryResult {
    if (this.loaded) return { truncatedBytes: 0 };
    if (!this.offsetIndex.load(this.size) || !this.timeIndex.load(2 ** 31 - 1)) return this.rebuild();
    const from = this.offsetIndex.lastValue;
    this.nextOffset = this.baseOffset + Math.max(0, this.offsetIndex.lastKey);
    this.takeMaxTimestampFromIndex();
    const first = this.walk(0, Math.min(this.size, HEADER_SIZE)).next();
    if (!first.done) this.firstTimestamp = first.value.maxTimestamp;
    this.bytesSinceIndexEntry = 0;
    const walker = this.walk(from, this.size, true);
    for (let step = walker.next(); ; step = walker.next()) {
      if (step.done) {
        if (step.value) return this.rebuild();
        break;
      }
      this.nextOffset = step.value.lastOffset + 1;
      this.noteTimestamp(step.value);
      this.bytesSinceIndexEntry += step.value.size;
    }
    this.loaded = true;
    return { truncatedBytes: 0 };
  }

  private resetIndexes(): void {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.nextOffset = this.baseOffset;
    this.maxTimestamp = -1;
    this.maxTimestampOffset = -1;
    this.firstTimestamp = -1;
    this.bytesSinceIndexEntry = 0;
  }

  /**
   * Rebuilds both indexes from every batch of a durable segment, cutting
   * nothing: a damaged batch is reported and stepped over to the next intact
   * one, which gets an index entry of its own so that every later offset
   * stays reachable. Reads of the damaged bytes fail (see read()).
   */
  rebuild(): RecoveryResult {
    this.resetIndexes();
    this.scan(0, "skip");
    this.loaded = true;
    return { truncatedBytes: 0 };
  }

  /**
   * Verifies every batch from `fromPosition` (CRC included), rebuilds the
   * index entries for them and cuts the file at the first damage. Only for
   * bytes after the recovery point after a crash: a torn write, never
   * acknowledged.
   */
  recover(fromPosition = 0, knownNextOffset?: number): RecoveryResult {
    if (fromPosition > 0) {
      this.offsetIndex.load(this.size);
      this.timeIndex.load(2 ** 31 - 1);
      this.offsetIndex.truncateFromValue(fromPosition);
      assert(knownNextOffset !== undefined, "recovery from a position needs the offset found there");
      this.timeIndex.truncateFromValue(knownNextOffset - this.baseOffset);
      this.nextOffset = knownNextOffset;
      this.takeMaxTimestampFromIndex();
      // The time index is sparse: batches after its last entry may carry a later timestamp.
      const from = this.timeIndex.entries > 0 ? this.offsetIndex.floor(this.timeIndex.lastValue) : 0;
      for (const b of this.walk(from, fromPosition)) this.noteTimestamp(b);
      const first = this.walk(0, Math.min(this.size, HEADER_SIZE)).next();
      if (!first.done) this.firstTimestamp = first.value.maxTimestamp;
      this.bytesSinceIndexEntry = this.indexIntervalBytes;
    } else this.resetIndexes();
    const result = this.scan(fromPosition, "truncate");
    this.loaded = true;
    return result;
  }

  /** Indexes the batches from `from` to the end of the file; on damage, "truncate" cuts the file there, "skip" steps over it. */
  private scan(from: number, onDamage: "truncate" | "skip"): RecoveryResult {
    let position = from;
    for (;;) {
      const walker = this.walk(position, this.size, true);
      let damage: Damage | undefined;
      let end = position;
      for (let step = walker.next(); ; step = walker.next()) {
        if (step.done) {
          damage = step.value;
          break;
        }
        if (step.value.baseOffset < this.nextOffset) {
          damage = { position: step.value.position, reason: `batch at offset ${step.value.baseOffset} overlaps offsets before ${this.nextOffset}` };
          break;
        }
        this.index(step.value);
        end = step.value.position + step.value.size;
      }
      if (!damage) return { truncatedBytes: 0 };
      if (onDamage === "skip") {
        const resume = this.nextIntactBatch(damage.position + 1, this.nextOffset);
        reportDamage(this.logPath, damage.position, damage.reason);
        if (resume < 0) return { truncatedBytes: 0, damage };
        // An index entry right where intact data resumes keeps every later offset reachable.
        this.bytesSinceIndexEntry = this.indexIntervalBytes;
        position = resume;
        continue;
      }
      const truncatedBytes = this.size - end;
      this.truncateTo(end);
      return { truncatedBytes, damage };
    }
  }

  private nextIntactBatch(from: number, minOffset: number): number {
    return nextIntactBatch((position, length) => this.readAt(position, length), from, this.size, minOffset);
  }

  ensureLoaded(): void {
    if (!this.loaded) this.loadTrusted();
  }

  /** Headers of the readable batches from the one holding `offset` on, stepping over damage (which reads refuse). */
  *intactBatches(offset: number): Generator<WalkedBatch> {
    this.ensureLoaded();
    let position = this.offsetIndex.floor(offset - this.baseOffset);
    let next = this.baseOffset;
    while (position >= 0 && position < this.writes.readableEnd) {
      const walker = this.walk(position, this.writes.readableEnd);
      let step = walker.next();
      for (; !step.done; step = walker.next()) {
        next = step.value.lastOffset + 1;
        if (step.value.lastOffset >= offset) yield step.value;
      }
      if (!step.value) return;
      position = this.nextIntactBatch(step.value.position + 1, next);
    }
  }

  /** Appends one validated batch whose offsets were already assigned, writing it at once. */
  append(batch: Buffer, baseOffset: number, lastOffset: number, maxTimestamp: number): void {
    this.checkAppend(baseOffset);
    const position = this.size;
    this.writes.writeNow(batch);
    this.size = position + batch.length;
    this.index({ position, size: batch.length, baseOffset, lastOffset, maxTimestamp, producerId: -1, producerEpoch: -1, baseSequence: -1, attributes: 0 });
  }

  /**
   * Appends one validated batch whose offsets were already assigned, but only
   * queues its bytes: the next writePendingDurably() hands every queued batch to the
   * kernel in one write, off the event loop. The batch is not readable before
   * that write completes, and the caller must not change the buffer until then.
   */
  appendDeferred(batch: Buffer, baseOffset: number, lastOffset: number, maxTimestamp: number): void {
    this.checkAppend(baseOffset);
    const position = this.size;
    this.writes.queue(batch);
    this.size += batch.length;
    this.index({ position, size: batch.length, baseOffset, lastOffset, maxTimestamp, producerId: -1, producerEpoch: -1, baseSequence: -1, attributes: 0 });
  }

  private checkAppend(baseOffset: number): void {
    assert(this.loaded, "append to a segment that was not loaded");
    assert(!this.closeRequested, "append to a closed segment");
    assert(baseOffset >= this.nextOffset, `append offset ${baseOffset} below ${this.nextOffset}`);
  }

  /** Writes every queued batch durably, off the event loop (see SegmentWrites). */
  writePendingDurably(): Promise<void> {
    return this.writes.writePendingDurably();
  }

  /** Writes every queued batch synchronously (before a roll, a close or a direct append). */
  writePendingNow(): void {
    this.writes.writePendingNow();
  }

  /** Position of the first batch whose last offset is >= offset, or -1 when there is none. */
  locate(offset: number): WalkedBatch | undefined {
    this.ensureLoaded();
    const from = this.offsetIndex.floor(offset - this.baseOffset);
    const walker = this.walk(from, this.writes.readableEnd);
    for (let step = walker.next(); ; step = walker.next()) {
      if (step.done) {
        // Damage before the offset: the offset may lie in it, and is refused rather than skipped.
        if (step.value) throw new StorageError(reportDamage(this.logPath, step.value.position, step.value.reason));
        return undefined;
      }
      if (step.value.lastOffset >= offset) return step.value;
    }
  }

  /** First batch whose maxTimestamp is >= target. */
  locateTimestamp(target: number): WalkedBatch | undefined {
    this.ensureLoaded();
    if (this.maxTimestamp < target) return undefined;
    // The last time-index entry below the target: no batch before it can hold the target.
    const from = this.offsetIndex.floor(this.timeIndex.floor(target, true));
    for (const batch of this.walk(from, this.writes.readableEnd)) if (batch.maxTimestamp >= target) return batch;
    return undefined;
  }

  /**
   * Whole batches starting with the one that holds `offset`, stopping before
   * `endOffset` and after `maxBytes` (but always at least one batch). Every
   * batch's CRC is checked: bytes that fail are never served.
   */
  async read(offset: number, maxBytes: number, endOffset: number): Promise<Buffer | undefined> {
    const truncations = this.truncations;
    let start: number;
    if (this.readCursor?.offset === offset) start = this.readCursor.position;
    else {
      const first = this.locate(offset);
      if (!first) return undefined;
      start = first.position;
    }
    const end = this.writes.readableEnd;
    if (start + HEADER_SIZE > end) return undefined;
    let buf = await this.readAtAsync(start, Math.min(end - start, Math.max(maxBytes, HEADER_SIZE)));
    if (buf.length < HEADER_SIZE) return undefined;
    const firstSize = LOG_OVERHEAD + buf.readInt32BE(BATCH_LENGTH);
    if (readInt64(buf, BASE_OFFSET) >= endOffset) return undefined;
    if (firstSize > buf.length && start + firstSize <= end) buf = await this.readAtAsync(start, firstSize);
    let pos = 0;
    let next = offset;
    while (pos + HEADER_SIZE <= buf.length) {
      const size = LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH);
      const fits = size >= HEADER_SIZE && start + pos + size <= end;
      if (fits && pos + size > buf.length) break; // the next batch did not fit in maxBytes
      const base = readInt64(buf, pos + BASE_OFFSET);
      if (fits && base >= endOffset) break;
      if (!fits || buf.readInt8(pos + MAGIC) !== CURRENT_MAGIC || !batchCrcMatches(buf, pos, size)) {
        // Never served, and never passed over in silence: the reader asking for it gets an error.
        if (pos === 0) throw new StorageError(reportDamage(this.logPath, start, fits ? "CRC32C or magic does not match the batch bytes" : `batch length ${size - LOG_OVERHEAD} does not fit the segment`));
        break;
      }
      next = base + buf.readInt32BE(pos + LAST_OFFSET_DELTA) + 1;
      pos += size;
    }
    if (pos === 0) return undefined;
    // A truncation while this read was in flight moved the bytes: no cursor from before it.
    if (truncations === this.truncations) this.readCursor = { offset: next, position: start + pos };
    return buf.subarray(0, pos);
  }

  truncateTo(position: number): void {
    assert(this.writes.idle, "truncate of a segment with writes in flight");
    this.readCursor = undefined;
    this.truncations++;
    io.ftruncateSync(this.file.descriptor(), position);
    this.size = position;
    this.writes.truncated(position);
    this.offsetIndex.truncateFromValue(position);
  }

  /** True when something was written through the plain descriptor since the last fdatasync began. */
  get needsDatasync(): boolean {
    return this.writes.writtenSinceSync;
  }

  datasync(): Promise<void> {
    this.writes.writtenSinceSync = false;
    this.ioInFlight++;
    return segmentFiles.withPinned(this.file, (fd) => new Promise<void>((resolve, reject) => io.fdatasync(fd, (err) => (err ? reject(err) : resolve()))))
      .finally(() => this.ioFinished());
  }

  datasyncNow(): void {
    this.writes.writePendingNow();
    this.writes.writtenSinceSync = false;
    io.fdatasyncSync(this.file.descriptor());
  }

  private ioFinished(): void {
    this.ioInFlight--;
    if (this.ioInFlight > 0) return;
    if (this.closeRequested) this.closeFiles();
    else if (this.sealed) this.closeDurableFile();
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Resolves once no write or fdatasync of this segment is in flight. */
  idle(): Promise<void> {
    if (this.ioInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Forgets queued batches that were never written (their round failed and the log rolls back). */
  discardPending(): void {
    this.writes.discardPending();
  }

  /**
   * The segment rolled: no more durable writes come, so its O_DSYNC
   * descriptor closes (once no write is in flight); reads go through the pool.
   */
  seal(): void {
    this.sealed = true;
    if (this.ioInFlight === 0) this.closeDurableFile();
  }

  private closeDurableFile(): void {
    this.writes.closeDurableFile();
  }

  close(): void {
    if (this.closeRequested) return;
    if (!this.readOnly) this.writePendingNow();
    this.closeRequested = true;
    if (this.ioInFlight === 0) this.closeFiles();
  }

  private closeFiles(): void {
    this.file.close();
    this.closeDurableFile();
    if (this.readOnly) return;
    this.offsetIndex.close();
    this.timeIndex.close();
  }

  /** Closes and removes the segment's files (rename first, so a crash mid-way leaves no half segment). */
  delete(): void {
    this.close();
    for (const ext of [".log", ".index", ".timeindex", ".txnindex"] as const) {
      const file = path.join(this.dir, segmentFileName(this.baseOffset, ext));
      try {
        io.renameSync(file, file + ".deleted");
        io.removeSync(file + ".deleted");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    }
  }
}
