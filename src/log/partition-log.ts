// The log of one topic partition: an ordered list of segments, of which the
// last is active. Appends are validated, given offsets and written in arrival
// order; durability comes from group commit (one fdatasync shared by every
// append that arrived while the previous one ran). Readers only ever see
// records up to the high watermark, which with flush=always is the durable end
// of the log: a consumer never sees a record that a crash could take back.

import { io } from "./file-io.js";
import * as path from "node:path";
import { BASE_OFFSET, CONTROL_BIT, PARTITION_LEADER_EPOCH, TRANSACTIONAL_BIT, writeInt64 } from "../protocol/record-batch-header.js";
import { markerTypeOf } from "../protocol/control-batch.js";
import { TransactionIndex } from "./transaction-index.js";
import { appendTxnIndex, readTxnIndex, writeTxnIndex } from "./txn-index-file.js";
import { decodeRecordBatch } from "../protocol/record-batch-codec.js";
import { batchRules, validateBatch, type ValidatedBatch } from "./batch-validator.js";
import { LogClosedError, OffsetOutOfRangeError, StorageError, assert, isTransientSystemError } from "./errors.js";
import { Segment, segmentFileName } from "./segment.js";
import type { TopicConfig } from "./topic-config.js";
import { fsyncDirectory } from "./fs-util.js";
import { GroupCommit, type RecoveryPoint } from "./group-commit.js";
import { DataWaiters } from "./data-waiters.js";
import { ProducerStateTable } from "./producer-state.js";
import { recoverSegments, type OpenReport, type PartitionCheckpoint } from "./partition-recovery.js";
import type { AbortedTransaction, AppendOptions, AppendResult, PartitionOffsets, PartitionStore, ReadResult, TimestampedOffset } from "./store.js";
import { opsLog } from "../ops/ops-log.js";

/** Idempotent-producer state is forgotten after this long without a write (Kafka's producer.id.expiration.ms). */
const PRODUCER_EXPIRATION_MS = 24 * 60 * 60 * 1000;

const EMPTY = Buffer.alloc(0);
/** How long a roll-back waits before it tries again to reopen a segment (descriptors ran out). */
const REOPEN_RETRY_MS = 200;

export class PartitionLog implements PartitionStore {
  private segments: Segment[] = [];
  private readonly commits: GroupCommit;
  private readonly waiters = new DataWaiters();
  private appendTail: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  /** The last write error that passes by itself (ENOSPC, EMFILE), until a round succeeds again. */
  private writeError: StorageError | undefined;
  private closed = false;
  private durableOffset = 0;
  private readonly producers = new ProducerStateTable();
  /** Open and aborted transactions, for read_committed readers. */
  private readonly transactions = new TransactionIndex();
  logStartOffset = 0;
  recoveryPoint: RecoveryPoint | undefined;
  cleanedUpTo = 0;
  /** Serialises maintenance (retention, compaction, record deletion). */
  maintenance: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly topic: string,
    readonly partition: number,
    readonly dir: string,
    private config: TopicConfig,
    onFlush?: (seconds: number) => void,
  ) {
    this.commits = new GroupCommit({
      name: this.name,
      pointNow: () => ({ segment: this.active.baseOffset, position: this.active.size, offset: this.logEndOffset }),
      durable: (point) => {
        this.writeError = undefined;
        this.recoveryPoint = point;
        this.advanceHighWatermark(point.offset);
      },
      failedTransiently: (err) => (this.closed ? this.fence(err) : void this.rollBack(err)),
      // After a failed write or fdatasync the file can no longer be trusted: fail loudly, refuse writes.
      // Recovery at the next start cuts whatever the failure left half-written.
      failedForGood: (err) => this.fence(err),
    }, onFlush);
  }

  get name(): string {
    return `${this.topic}-${this.partition}`;
  }

  get topicConfig(): TopicConfig {
    return this.config;
  }

  /**
   * Opens (or creates) the partition directory. When `clean` is false the log
   * may be torn: segments after the recovery point are verified batch by
   * batch and cut at the first damage, and everything after it is removed.
   */
  static open(dir: string, topic: string, partition: number, config: TopicConfig,
    checkpoint: PartitionCheckpoint | undefined, clean: boolean, onFlush?: (seconds: number) => void): { log: PartitionLog; report: OpenReport } {
    const log = new PartitionLog(topic, partition, dir, config, onFlush);
    const report: OpenReport = { truncatedBytes: 0, segmentsScanned: 0 };
    log.segments = recoverSegments(dir, config.indexIntervalBytes, checkpoint, clean, report);
    const first = log.segments[0]!;
    log.logStartOffset = Math.max(first.baseOffset, checkpoint?.logStartOffset ?? 0);
    log.logStartOffset = Math.min(log.logStartOffset, log.logEndOffset);
    log.cleanedUpTo = checkpoint?.cleanedUpTo ?? 0;
    log.durableOffset = log.logEndOffset;
    log.recoveryPoint = { segment: log.active.baseOffset, position: log.active.size, offset: log.logEndOffset };
    log.rebuildProducerState(checkpoint);
    log.applyFlushPolicy();
    return { log, report };
  }

  /**
   * Producer state from the checkpoint's snapshot, minus what recovery cut,
   * plus the batches written after the snapshot. Without a snapshot only the
   * active segment is read, so start-up stays independent of the log's size.
   */
  private rebuildProducerState(checkpoint: PartitionCheckpoint | undefined): void {
    const snapshot = checkpoint?.producers;
    let from = this.active.baseOffset;
    if (snapshot) {
      this.producers.restore(snapshot.entries);
      this.producers.truncateFrom(this.logEndOffset);
      from = Math.min(snapshot.offset, this.logEndOffset);
    }
    // Transactions: the open ones as of the checkpoint, the aborted ones from every segment's .txnindex, then
    // the batches after the checkpoint. Without a checkpoint that vouches for the index files (a data dir from
    // before them, a lost checkpoint) or with a file missing, every segment is read again to rebuild them.
    const transactions = checkpoint?.transactions;
    const indexes = this.segments.map((s) => readTxnIndex(this.dir, s.baseOffset));
    const trusted = transactions?.indexed === true && indexes.every((entries, i) => entries !== undefined || i === this.segments.length - 1);
    let transactionsFrom = this.segments[0]!.baseOffset;
    if (trusted) {
      this.transactions.restoreOngoing(transactions.ongoing);
      for (const entries of indexes) for (const e of entries ?? []) this.transactions.addAborted(e);
      this.transactions.truncateFrom(this.logEndOffset);
      transactionsFrom = Math.min(transactions.offset, this.logEndOffset);
    }
    from = Math.min(from, transactionsFrom);
    const producersFrom = snapshot ? Math.min(snapshot.offset, this.logEndOffset) : this.active.baseOffset;
    for (let i = this.segmentIndexFor(from); i < this.segments.length && from < this.logEndOffset; i++) {
      const segment = this.segments[i]!;
      for (const b of segment.intactBatches(from)) {
        if (b.producerId < 0) continue;
        const control = (b.attributes & CONTROL_BIT) !== 0;
        if (b.baseOffset >= producersFrom && !control) this.producers.record(b.producerId, b.producerEpoch, b.baseSequence, b.baseOffset, b.lastOffset, b.maxTimestamp);
        if (b.baseOffset >= transactionsFrom) this.transactions.onBatch(b.producerId, (b.attributes & TRANSACTIONAL_BIT) !== 0, control, b.controlType, b.baseOffset, b.lastOffset);
      }
    }
    // The index files of the segments read again say what they hold now (written only where that changed: start-up writes nothing otherwise).
    for (let i = this.segmentIndexFor(transactionsFrom); i < this.segments.length; i++) this.rewriteTxnIndex(i, indexes[i]);
  }

  /** Rewrites segment `i`'s .txnindex from the aborted transactions whose marker lies in it, unless it holds just those (`current`). */
  private rewriteTxnIndex(i: number, current?: AbortedTransaction[]): void {
    const segment = this.segments[i]!;
    const end = this.segments[i + 1]?.baseOffset ?? Infinity;
    const entries = this.transactions.abortedAll().filter((a) => a.lastOffset >= segment.baseOffset && a.lastOffset < end);
    if (current && JSON.stringify(current) === JSON.stringify(entries)) return;
    writeTxnIndex(this.dir, segment.baseOffset, entries);
  }

  get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  get highWatermark(): number {
    return this.durableOffset;
  }

  get sizeBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Segments other than the active one, oldest first (for maintenance). */
  closedSegments(): Segment[] {
    return this.segments.slice(0, -1);
  }

  checkpoint(now = Date.now()): PartitionCheckpoint {
    this.producers.expire(now - PRODUCER_EXPIRATION_MS);
    const checkpoint: PartitionCheckpoint = { recoveryPoint: this.recoveryPoint, logStartOffset: this.logStartOffset, cleanedUpTo: this.cleanedUpTo };
    if (this.producers.size > 0) checkpoint.producers = { offset: this.logEndOffset, entries: this.producers.snapshot() };
    this.transactions.pruneBelow(this.logStartOffset);
    checkpoint.transactions = { offset: this.logEndOffset, ...this.transactions.snapshot() };
    return checkpoint;
  }

  updateConfig(config: TopicConfig): void {
    this.config = config;
    for (const s of this.segments) s.setIndexInterval(config.indexIntervalBytes);
    this.applyFlushPolicy();
  }

  private applyFlushPolicy(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = undefined;
    if (this.config.flush !== "always" && !this.closed) {
      this.flushTimer = setInterval(() => void this.sync().catch(() => undefined), this.config.flush);
      this.flushTimer.unref();
    }
  }

  /** Why the partition refuses writes, or undefined while it accepts them. */
  get writeRefusal(): string | undefined {
    return this.failure?.message ?? this.writeError?.message;
  }

  private checkOpen(): void {
    if (this.closed) throw new LogClosedError(`partition ${this.name}`);
    if (this.failure) throw this.refusal(this.failure);
  }

  private refusal(failure: Error): StorageError {
    return new StorageError(`partition ${this.name} refuses writes after a failed write or fdatasync: ${failure.message}`);
  }

  /**
   * Appends one RecordBatch (the buffer becomes the log's: baseOffset and the
   * leader epoch are written into it). Resolves once the batch is durable
   * (flush=always) or written (flush interval); rejects with a LogError and
   * writes nothing when the batch is invalid.
   */
  async append(batch: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    this.checkOpen();
    const now = Date.now();
    const validation = validateBatch(batch, batchRules(this.config, options), now, options.decompressedRecords);
    // Validation runs concurrently; writes happen strictly in arrival order.
    const turn = this.appendTail;
    let done!: () => void;
    this.appendTail = new Promise<void>((resolve) => (done = resolve));
    let result: AppendResult;
    try {
      const [valid] = await Promise.all([validation, turn]);
      this.checkOpen();
      const h = valid.header;
      // Markers carry no sequence: only producers' own batches are checked for retries and gaps.
      const control = (h.attributes & CONTROL_BIT) !== 0;
      const retried = h.producerId >= 0 && !control ? this.producers.check(h.producerId, h.producerEpoch, h.baseSequence, h.lastOffsetDelta + 1) : undefined;
      if (retried) {
        // A retry of a batch already written: answer with its offsets once it is durable, write nothing.
        result = { baseOffset: retried.baseOffset, lastOffset: retried.lastOffset, logAppendTime: -1, logStartOffset: this.logStartOffset, duplicate: true };
      } else {
        result = this.write(valid.batch, valid, options);
      }
    } finally {
      done();
    }
    return this.acknowledge(result);
  }

  /** Assigns offsets and writes a validated batch; the caller holds the append turn. */
  private write(batch: Buffer, valid: ValidatedBatch, options: AppendOptions): AppendResult {
    const h = valid.header;
    const baseOffset = this.logEndOffset;
    const lastOffset = baseOffset + h.lastOffsetDelta;
    this.maybeRoll(valid.size, valid.maxTimestamp, lastOffset);
    writeInt64(batch, BASE_OFFSET, baseOffset);
    batch.writeInt32BE(options.leaderEpoch ?? 0, PARTITION_LEADER_EPOCH);
    const segment = this.active;
    // flush=always: the batch is written with the rest of its group-commit round, off the event loop.
    if (this.config.flush === "always") segment.appendDeferred(batch, baseOffset, lastOffset, valid.maxTimestamp);
    else segment.append(batch, baseOffset, lastOffset, valid.maxTimestamp);
    this.commits.written(segment, batch.length);
    const control = (h.attributes & CONTROL_BIT) !== 0;
    if (h.producerId >= 0 && !control) this.producers.record(h.producerId, h.producerEpoch, h.baseSequence, baseOffset, lastOffset, valid.maxTimestamp);
    const aborted = this.transactions.onBatch(h.producerId, (h.attributes & TRANSACTIONAL_BIT) !== 0, control, control ? markerTypeOf(batch) : undefined, baseOffset, lastOffset);
    if (aborted) appendTxnIndex(this.dir, this.active.baseOffset, aborted);
    return { baseOffset, lastOffset, logAppendTime: this.config.logAppendTime ? valid.maxTimestamp : -1, logStartOffset: this.logStartOffset };
  }

  /** Resolves when what was written so far is durable (flush=always) or at once (flush interval). */
  private async acknowledge(result: AppendResult): Promise<AppendResult> {
    if (this.config.flush === "always") await this.sync();
    else this.advanceHighWatermark(this.logEndOffset);
    return result;
  }

  private maybeRoll(batchBytes: number, maxTimestamp: number, lastOffset: number): void {
    const active = this.active;
    if (active.size === 0) return;
    const full = active.size + batchBytes > this.config.segmentBytes;
    // By record time when the segment's records carry one, else by how long the segment has existed (as Kafka does).
    const old = active.firstTimestamp >= 0
      ? maxTimestamp - active.firstTimestamp > this.config.segmentMs
      : Date.now() - active.createdMs > this.config.segmentMs;
    const offsetOverflow = lastOffset - active.baseOffset > 2 ** 31 - 1;
    if (full || old || offsetOverflow) this.roll();
  }

  /** Rolls when the active segment holds records and was created more than `ms` ago; true when it did. */
  rollIfOlderThan(ms: number, now = Date.now()): boolean {
    this.checkOpen();
    if (this.active.size === 0 || now - this.active.createdMs <= ms) return false;
    this.roll();
    return true;
  }

  /** Closes the active segment (made durable here) and starts a new one at the log end. */
  roll(): void {
    const previous = this.active;
    if (previous.size === 0) return;
    try {
      previous.datasyncNow();
      previous.seal();
      this.commits.forget(previous);
      this.segments.push(Segment.create(this.dir, previous.nextOffset, this.config.indexIntervalBytes));
      fsyncDirectory(this.dir);
    } catch (err) {
      throw err instanceof StorageError ? err : new StorageError(`rolling ${this.name} to a new segment failed: ${(err as Error).message}`, err);
    }
  }

  /** Makes everything written so far durable; concurrent callers share one fdatasync. */
  sync(): Promise<void> {
    if (this.failure) return Promise.reject(this.refusal(this.failure));
    return this.commits.sync();
  }

  /** Refuses every write from now on (until a restart): the disk failed in a way that does not pass. */
  private fence(err: Error): void {
    this.failure = err;
    opsLog("log").error({ partition: this.name }, `write or fdatasync failed on ${this.name}: ${err.message}; partition refuses writes`);
    this.commits.refuseWaiting(new StorageError(`write or fdatasync failed on ${this.name}: ${err.message}`, err));
  }

  /**
   * A write failed for a reason that passes (a full disk, no free
   * descriptors): every append not yet durable is refused with a retriable
   * error, the log goes back to the end of the last completed round (the
   * file is cut there, later segments go), and the partition takes writes
   * again at once. Nothing acknowledged is touched: it all lies before that
   * point. Producers retry; once the cause is gone their writes succeed.
   */
  private async rollBack(err: StorageError): Promise<void> {
    this.writeError = err;
    const point = this.recoveryPoint!;
    opsLog("log").error({ partition: this.name, offset: point.offset }, `write failed on ${this.name}: ${err.message}; refusing what was not yet durable and going back to offset ${point.offset}`);
    const refused = new StorageError(`write failed on ${this.name}: ${err.message}; not written, retry`, err);
    this.commits.reset(refused);
    // Appends wait until the log is back at `point`; the ones before them have finished writing.
    const turn = this.appendTail;
    let done!: () => void;
    this.appendTail = new Promise<void>((resolve) => (done = resolve));
    try {
      await turn;
      await Promise.all(this.segments.map((s) => s.idle()));
      // Anyone who asked for a flush meanwhile (the flush timer, close) gets the same answer.
      this.commits.reset(refused);
      while (this.segments.length > 1 && this.active.baseOffset > point.segment) {
        const later = this.segments.pop()!;
        later.discardPending();
        later.delete();
      }
      const active = this.active;
      assert(active.baseOffset === point.segment, `recovery point segment ${point.segment} is not in the log`);
      active.discardPending();
      active.close();
      this.segments[this.segments.length - 1] = await this.reopenAt(active, point);
      this.producers.truncateFrom(point.offset);
      this.transactions.truncateFrom(point.offset);
      this.rewriteTxnIndex(this.segments.length - 1);
    } catch (failure) {
      this.fence(failure as Error);
    } finally {
      done();
    }
  }

  /**
   * The active segment cut back to `point` and opened afresh. A cause that
   * passes (no free descriptor) is waited out, retrying, while appends wait;
   * any other failure is thrown (and fences the partition).
   */
  private async reopenAt(segment: Segment, point: RecoveryPoint): Promise<Segment> {
    for (let attempt = 0; ; attempt++) {
      try {
        io.truncateSync(segment.logPath, point.position);
        const fresh = Segment.open(this.dir, segment.baseOffset, this.config.indexIntervalBytes);
        fresh.recover(point.position, point.offset);
        fsyncDirectory(this.dir);
        return fresh;
      } catch (err) {
        if (!isTransientSystemError(err) || this.closed) throw err;
        if (attempt === 0) opsLog("log").error({ partition: this.name }, `reopening ${this.name} failed: ${(err as Error).message}; retrying until it succeeds`);
        await new Promise((resolve) => setTimeout(resolve, REOPEN_RETRY_MS));
      }
    }
  }

  private advanceHighWatermark(offset: number): void {
    if (offset <= this.durableOffset) return;
    this.durableOffset = offset;
    this.waiters.readable(offset);
  }

  /**
   * Resolves true as soon as a record at or after `offset` is readable, false
   * after `timeoutMs` or when the log closes. Woken by appends; never polls.
   */
  waitForData(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.waiters.wait(offset, this.highWatermark, timeoutMs, signal);
  }

  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Whole batches from the one holding `offset`, up to `maxBytes` (at least one
   * batch when any is readable) and never past the high watermark.
   */
  async offsets(): Promise<PartitionOffsets> {
    const highWatermark = this.highWatermark;
    return { logStartOffset: this.logStartOffset, highWatermark, logEndOffset: this.logEndOffset, lastStableOffset: this.transactions.lastStableOffset(highWatermark) };
  }

  /** Aborted transactions with records in [from, to) (for read_committed fetches). */
  abortedTransactions(from: number, to: number): AbortedTransaction[] {
    return this.transactions.abortedIn(from, to);
  }

  async read(offset: number, maxBytes: number): Promise<ReadResult> {
    if (this.closed) throw new LogClosedError(`partition ${this.name}`);
    const highWatermark = this.highWatermark;
    if (offset < this.logStartOffset || offset > highWatermark) {
      throw new OffsetOutOfRangeError(offset, this.logStartOffset, highWatermark);
    }
    for (let i = this.segmentIndexFor(offset); i < this.segments.length && offset < highWatermark; i++) {
      const records = await this.segments[i]!.read(offset, maxBytes, highWatermark);
      if (records) return { records, highWatermark, logStartOffset: this.logStartOffset };
    }
    return { records: EMPTY, highWatermark, logStartOffset: this.logStartOffset };
  }

  /** First record with timestamp >= `timestamp` (Kafka's ListOffsets by time), or undefined. */
  async offsetForTimestamp(timestamp: number): Promise<TimestampedOffset | undefined> {
    const highWatermark = this.highWatermark;
    for (const segment of [...this.segments]) {
      if (segment.nextOffset <= this.logStartOffset) continue;
      const located = segment.locateTimestamp(timestamp);
      if (!located || located.baseOffset >= highWatermark) continue;
      const decoded = await decodeRecordBatch(segment.readAt(located.position, located.size));
      for (const r of decoded.records) {
        if (r.offset >= this.logStartOffset && r.timestamp >= timestamp) return { offset: r.offset, timestamp: r.timestamp };
      }
    }
    return undefined;
  }

  /** The record with the largest timestamp (ListOffsets MAX_TIMESTAMP), or undefined when empty. */
  async maxTimestampOffset(): Promise<TimestampedOffset | undefined> {
    let best: Segment | undefined;
    for (const s of this.segments) {
      s.ensureLoaded();
      if (s.size > 0 && (!best || s.maxTimestamp > best.maxTimestamp)) best = s;
    }
    if (!best) return undefined;
    return this.offsetForTimestamp(best.maxTimestamp);
  }

  /** Moves the log start forward (Kafka DeleteRecords); whole segments below it are deleted. */
  deleteRecordsBefore(offset: number): number {
    this.checkOpen();
    if (offset > this.highWatermark || offset < 0) throw new OffsetOutOfRangeError(offset, this.logStartOffset, this.highWatermark);
    this.logStartOffset = Math.max(this.logStartOffset, offset);
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= this.logStartOffset) this.segments.shift()!.delete();
    return this.logStartOffset;
  }

  /** Deletes the oldest segments (rolling the active one if it expired too); returns how many. */
  deleteSegments(predicate: (segment: Segment, remainingBytes: number) => boolean): number {
    let deleted = 0;
    let remaining = this.sizeBytes;
    for (;;) {
      const oldest = this.segments[0]!;
      oldest.ensureLoaded();
      if (oldest.size === 0 || !predicate(oldest, remaining)) break;
      if (this.segments.length === 1) {
        if (oldest.nextOffset > this.highWatermark) break;
        this.roll();
      }
      this.segments.shift();
      oldest.delete();
      remaining -= oldest.size;
      deleted++;
    }
    this.logStartOffset = Math.max(this.logStartOffset, this.segments[0]!.baseOffset);
    return deleted;
  }

  /** Swaps a closed segment for a rewritten file `<base>.log.cleaned` (compaction); an empty rewrite removes it. */
  replaceSegment(old: Segment, cleanedPath: string, empty: boolean): void {
    const i = this.segments.indexOf(old);
    assert(i >= 0 && i < this.segments.length - 1, "only closed segments are replaced");
    if (empty) {
      io.removeSync(cleanedPath);
      this.segments.splice(i, 1);
      old.delete();
      if (i === 0) this.logStartOffset = Math.max(this.logStartOffset, this.segments[0]!.baseOffset);
      return;
    }
    old.close();
    io.renameSync(cleanedPath, path.join(this.dir, segmentFileName(old.baseOffset, ".log")));
    fsyncDirectory(this.dir);
    const fresh = Segment.open(this.dir, old.baseOffset, this.config.indexIntervalBytes);
    const result = fresh.recover(0);
    if (result.truncatedBytes > 0) throw new StorageError(`rewritten segment ${fresh.logPath} fails verification: ${result.damage?.reason}`);
    this.segments[i] = fresh;
  }

  /** Flushes and closes every file; waiting readers get `false`. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.appendTail;
    if (!this.failure) await this.sync().catch(() => undefined);
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.waiters.close();
    for (const s of this.segments) s.close();
  }

}
