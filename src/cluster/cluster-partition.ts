// One partition of a topic in a Kafka cluster (kafka-cluster-store.ts): offsets by
// ListOffsets, appends by Produce with acks=all of the batch as it is (checked
// whole first), reads by read_committed Fetch cut to whole batches (aborted
// transactions' batches left out), and waits by polling the
// high watermark (one poller per partition, while anyone waits) rather than a
// Fetch parked on a shared connection.

import type { AbortedTransaction, AppendOptions, AppendResult, PartitionOffsets, PartitionStore, ReadResult, TimestampedOffset } from "../log/store.js";
import { CorruptBatchError, InvalidRecordError, OffsetOutOfRangeError } from "../log/errors.js";
import type { TopicConfig } from "../log/topic-config.js";
import { KafkaErrorCode as E } from "../protocol/kafka-error-codes.js";
import {
  ATTRIBUTES, BATCH_LENGTH, CONTROL_BIT, CRC, CURRENT_MAGIC, HEADER_SIZE, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAGIC, TRANSACTIONAL_BIT, readBatchHeader,
} from "../protocol/record-batch-header.js";
import { crc32c } from "../protocol/crc32c.js";
import { check, EARLIEST, LATEST, MAX_TIMESTAMP, type ClusterRequests } from "./cluster-protocol.js";
import { splitBatches } from "../protocol/record-batch-codec.js";
import { ControlType, markerTypeOf } from "../protocol/control-batch.js";

/** ListOffsets and Fetch isolation level: the latest offset is then the last stable one, and Fetch names the aborted transactions. */
const READ_COMMITTED = 1;

/**
 * The batches without the data of aborted transactions, as a Kafka consumer
 * drops them: a producer's transactional batches are dropped from the first
 * offset of its aborted transaction until its ABORT marker (which stays).
 */
function withoutAborted(records: Buffer, aborted: { producerId: bigint; firstOffset: bigint }[]): Buffer {
  const pending = aborted.map((a) => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) })).sort((a, b) => a.firstOffset - b.firstOffset);
  const dropping = new Set<number>();
  const kept: Buffer[] = [];
  for (const batch of splitBatches(records)) {
    const header = readBatchHeader(batch);
    const lastOffset = header.baseOffset + header.lastOffsetDelta;
    while (pending.length && pending[0]!.firstOffset <= lastOffset) dropping.add(pending.shift()!.producerId);
    const transactional = (header.attributes & TRANSACTIONAL_BIT) !== 0;
    if ((header.attributes & CONTROL_BIT) !== 0) {
      if (markerTypeOf(batch) === ControlType.ABORT) dropping.delete(header.producerId);
      kept.push(batch);
    } else if (!(transactional && dropping.has(header.producerId))) {
      kept.push(batch);
    }
  }
  return kept.length === 0 ? Buffer.alloc(0) : Buffer.concat(kept);
}

/** Whole batches of a Fetch answer: a broker may cut the last one short at the size limit. */
function wholeBatches(records: Buffer | null): Buffer {
  if (!records || records.length === 0) return Buffer.alloc(0);
  let end = 0;
  while (end + 12 <= records.length) {
    const size = 12 + records.readInt32BE(end + 8);
    if (end + size > records.length) break;
    end += size;
  }
  return records.subarray(0, end);
}

/**
 * CorruptBatchError unless `batch` is exactly one whole RecordBatch v2 with a
 * good CRC: checked here, before it is sent, so that damage is named the same
 * whatever the cluster would answer.
 */
function checkWholeBatch(batch: Buffer): void {
  if (batch.length < HEADER_SIZE) throw new CorruptBatchError(`a record batch of ${batch.length} bytes is shorter than its header`);
  if (LOG_OVERHEAD + batch.readInt32BE(BATCH_LENGTH) !== batch.length) throw new CorruptBatchError("the batch's length field does not match its bytes");
  if (batch.readInt8(MAGIC) !== CURRENT_MAGIC) throw new CorruptBatchError(`record batch magic ${batch.readInt8(MAGIC)}; only v2 is written`);
  if (crc32c(batch.subarray(ATTRIBUTES)) !== batch.readUInt32BE(CRC)) throw new CorruptBatchError("the batch fails its CRC");
}

export class ClusterPartition implements PartitionStore {
  private waiters: { offset: number; resolve(ok: boolean): void }[] = [];
  private polling = false;
  /** The highest high watermark seen (appends, reads, offsets, polls): records below it are readable without asking. */
  private knownHighWatermark = 0;

  constructor(private readonly cluster: ClusterRequests, readonly topic: string, readonly partition: number, private readonly pollMs: number) {}

  get topicConfig(): TopicConfig {
    return this.cluster.topicConfig(this.topic);
  }

  get writeRefusal(): string | undefined {
    return undefined;
  }

  private leader(): number | undefined {
    return this.cluster.leaderOf(this.topic, this.partition);
  }

  private async listOffset(timestamp: number, isolationLevel = 0): Promise<{ offset: number; timestamp: number }> {
    const answer = await this.cluster.request("ListOffsets", {
      replicaId: -1, isolationLevel, topics: [{ name: this.topic, partitions: [{ partitionIndex: this.partition, currentLeaderEpoch: -1, timestamp }] }],
    }, this.leader()) as { topics: { partitions: { errorCode: number; timestamp: bigint; offset: bigint }[] }[] };
    const r = answer.topics[0]!.partitions[0]!;
    check(r.errorCode, `list offsets of ${this.topic}-${this.partition}`);
    return { offset: Number(r.offset), timestamp: Number(r.timestamp) };
  }

  async offsets(): Promise<PartitionOffsets> {
    const [start, end, stable] = await Promise.all([this.listOffset(EARLIEST), this.listOffset(LATEST), this.listOffset(LATEST, READ_COMMITTED)]);
    this.wake(end.offset);
    return { logStartOffset: start.offset, highWatermark: end.offset, logEndOffset: end.offset, lastStableOffset: stable.offset };
  }

  /** None: reads ask the cluster for committed records and drop aborted transactions' batches themselves. */
  abortedTransactions(): AbortedTransaction[] {
    return [];
  }

  async append(batch: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    if (options.allowControl || options.sparse) throw new InvalidRecordError("control and sparse batches are written by the cluster's own coordinators and cleaner, not over Produce");
    checkWholeBatch(batch);
    const answer = await this.cluster.request("Produce", {
      transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: this.topic, partitionData: [{ index: this.partition, records: batch }] }],
    }, this.leader()) as { responses: { partitionResponses: { errorCode: number; baseOffset: bigint; logAppendTimeMs: bigint; logStartOffset: bigint; errorMessage: string | null }[] }[] };
    const r = answer.responses[0]!.partitionResponses[0]!;
    check(r.errorCode, `append to ${this.topic}-${this.partition}`, r.errorMessage);
    const baseOffset = Number(r.baseOffset);
    this.wake(baseOffset + batch.readInt32BE(LAST_OFFSET_DELTA) + 1);
    return { baseOffset, lastOffset: baseOffset + batch.readInt32BE(LAST_OFFSET_DELTA), logAppendTime: Number(r.logAppendTimeMs), logStartOffset: Number(r.logStartOffset) };
  }

  async read(offset: number, maxBytes: number): Promise<ReadResult> {
    if (offset < 0) {
      const o = await this.offsets();
      throw new OffsetOutOfRangeError(offset, o.logStartOffset, o.highWatermark);
    }
    const answer = await this.cluster.request("Fetch", {
      // read_committed: the cluster stops at its last stable offset and names the aborted transactions, whose batches are dropped here.
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: Math.max(1, maxBytes), isolationLevel: READ_COMMITTED, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: this.topic, partitions: [{ partition: this.partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: Math.max(1, maxBytes) }] }],
      forgottenTopicsData: [], rackId: "",
    }, this.leader()) as { errorCode: number; responses: { partitions: { errorCode: number; highWatermark: bigint; logStartOffset: bigint; records: Buffer | null; abortedTransactions: { producerId: bigint; firstOffset: bigint }[] | null }[] }[] };
    check(answer.errorCode, `fetch ${this.topic}-${this.partition}`);
    const r = answer.responses[0]!.partitions[0]!;
    if (r.errorCode === E.OFFSET_OUT_OF_RANGE) {
      const o = await this.offsets();
      throw new OffsetOutOfRangeError(offset, o.logStartOffset, o.highWatermark);
    }
    check(r.errorCode, `fetch ${this.topic}-${this.partition}`);
    this.wake(Number(r.highWatermark));
    const records = wholeBatches(r.records);
    const aborted = r.abortedTransactions ?? [];
    return { records: aborted.length ? withoutAborted(records, aborted) : records, highWatermark: Number(r.highWatermark), logStartOffset: Number(r.logStartOffset) };
  }

  async offsetForTimestamp(timestamp: number): Promise<TimestampedOffset | undefined> {
    const r = await this.listOffset(timestamp);
    return r.offset < 0 ? undefined : r;
  }

  async maxTimestampOffset(): Promise<TimestampedOffset | undefined> {
    const r = await this.listOffset(MAX_TIMESTAMP);
    return r.offset < 0 ? undefined : r;
  }

  waitForData(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (offset < this.knownHighWatermark) return Promise.resolve(true);
    if (signal?.aborted || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const waiter = {
        offset,
        resolve: (ok: boolean) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener("abort", abort);
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(ok);
        },
      };
      const abort = () => waiter.resolve(false);
      const timer = setTimeout(abort, timeoutMs);
      signal?.addEventListener("abort", abort);
      this.waiters.push(waiter);
      void this.poll();
    });
  }

  /** Resolves the waiters whose offset is now readable. */
  private wake(highWatermark: number): void {
    this.knownHighWatermark = Math.max(this.knownHighWatermark, highWatermark);
    for (const w of [...this.waiters]) if (w.offset < highWatermark) w.resolve(true);
  }

  /** One poller per partition, while anyone waits. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      while (this.waiters.length > 0) {
        try {
          this.wake((await this.listOffset(LATEST)).offset);
        } catch {
          // The cluster is away: waiters time out unless it comes back.
        }
        if (this.waiters.length > 0) await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      }
    } finally {
      this.polling = false;
    }
  }

  stopWaiting(): void {
    for (const w of [...this.waiters]) w.resolve(false);
  }
}
