// Tiered storage: the local store with the archive behind it. Offsets still on
// local disk are read there; offsets below the local log start that the
// archive still holds (after DeleteRecords and the topic's retention) are read
// from the archive, transparently, byte for byte as they were produced. The
// earliest offset of a partition is then the archive's. Everything else is the
// local store's. It sits behind the same LogStore interface the servers use.

import { LogError, OffsetOutOfRangeError, StorageError } from "../log/errors.js";
import type { LogManager } from "../log/log-manager.js";
import type {
  AbortedTransaction, AppendOptions, AppendResult, LogStore, PartitionOffsets, PartitionStore, ReadResult, TimestampedOffset, TopicDescription,
} from "../log/store.js";
import { decodeRecordBatch, splitBatches } from "../protocol/record-batch-codec.js";
import type { Archiver } from "./archiver.js";
import { RemoteReads } from "./remote-reads.js";

/**
 * How long a read waits for the archive before answering with no records
 * (the read goes on and fills the cache; waitForData wakes when it lands):
 * one slow object-store read never holds up the other partitions of a fetch.
 */
const REMOTE_READ_WAIT_MS = 200;

class TieredPartition implements PartitionStore {
  /** A remote read still under way after its reader stopped waiting: waitForData wakes when it lands. */
  private remoteInFlight: Promise<unknown> | undefined;

  constructor(private readonly local: PartitionStore, private readonly archiver: Archiver, private readonly remote: RemoteReads) {}

  get topic(): string {
    return this.local.topic;
  }

  get partition(): number {
    return this.local.partition;
  }

  get topicConfig() {
    return this.local.topicConfig;
  }

  get writeRefusal(): string | undefined {
    return this.local.writeRefusal;
  }

  /** The archived range a reader may get, when it reaches below the local log start. */
  private archived(localStart: number): { start: number; end: number } | undefined {
    const range = this.archiver.readableRange(this.topic, this.partition, this.local.topicConfig);
    return range && range.start < localStart && range.end >= localStart ? range : undefined;
  }

  async offsets(): Promise<PartitionOffsets> {
    const local = await this.local.offsets();
    const archived = this.archived(local.logStartOffset);
    return archived ? { ...local, logStartOffset: archived.start } : local;
  }

  /** The local log's aborted transactions, and below the local copy the archive's (its manifest keeps them per segment). */
  abortedTransactions(from: number, to: number): AbortedTransaction[] {
    const local = this.local.abortedTransactions(from, to);
    const manifest = this.archiver.manifestOf(this.topic, this.partition);
    if (!manifest) return local;
    const seen = new Set(local.map((a) => a.lastOffset));
    const archived = manifest.segments.flatMap((s) => s.aborted ?? []).filter((a) => a.lastOffset >= from && a.firstOffset < to && !seen.has(a.lastOffset));
    return [...archived, ...local].sort((a, b) => a.lastOffset - b.lastOffset);
  }

  append(batch: Buffer, options?: AppendOptions): Promise<AppendResult> {
    return this.local.append(batch, options);
  }

  async read(offset: number, maxBytes: number): Promise<ReadResult> {
    const local = await this.local.offsets();
    if (offset >= local.logStartOffset) return this.local.read(offset, maxBytes);
    const archived = this.archived(local.logStartOffset);
    if (!archived || offset < archived.start) throw new OffsetOutOfRangeError(offset, archived?.start ?? local.logStartOffset, local.highWatermark);
    const manifest = this.archiver.manifestOf(this.topic, this.partition)!;
    // The archive failing (S3 down) is a storage error the client retries: KAFKA_STORAGE_ERROR, HTTP 503.
    const reading = this.remote.read(this.topic, this.partition, manifest, offset, maxBytes).catch((err: unknown) => {
      throw err instanceof LogError ? err : new StorageError(`reading offset ${offset} of ${this.topic}-${this.partition} from the archive failed: ${(err as Error).message}`, err);
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), REMOTE_READ_WAIT_MS)));
    const records = await Promise.race([reading, waited]).finally(() => clearTimeout(timer));
    if (records === undefined) {
      // Slow: answer empty now; the read goes on and fills the cache for the retry.
      const pending = reading.catch(() => undefined).finally(() => {
        if (this.remoteInFlight === pending) this.remoteInFlight = undefined;
      });
      this.remoteInFlight = pending;
      return { records: Buffer.alloc(0), highWatermark: local.highWatermark, logStartOffset: archived.start };
    }
    return { records, highWatermark: local.highWatermark, logStartOffset: archived.start };
  }

  async offsetForTimestamp(timestamp: number): Promise<TimestampedOffset | undefined> {
    const local = await this.local.offsets();
    const archived = this.archived(local.logStartOffset);
    const manifest = archived && this.archiver.manifestOf(this.topic, this.partition);
    if (archived && manifest) {
      for (const segment of manifest.segments) {
        if (segment.nextOffset <= archived.start || segment.baseOffset >= local.logStartOffset || segment.maxTimestamp < timestamp) continue;
        // Read the segment from its time-index entry on until a record at or after the time.
        for (let offset = Math.max(archived.start, await this.remote.timestampStart(this.topic, this.partition, segment, timestamp)); offset < segment.nextOffset;) {
          const bytes = await this.remote.read(this.topic, this.partition, manifest, offset, 1024 * 1024);
          if (bytes.length === 0) break;
          for (const batch of splitBatches(bytes)) {
            const decoded = await decodeRecordBatch(batch);
            for (const r of decoded.records) if (r.offset >= archived.start && r.timestamp >= timestamp) return { offset: r.offset, timestamp: r.timestamp };
            offset = decoded.header.baseOffset + decoded.header.lastOffsetDelta + 1;
          }
        }
      }
    }
    return this.local.offsetForTimestamp(timestamp);
  }

  async maxTimestampOffset(): Promise<TimestampedOffset | undefined> {
    const local = await this.local.maxTimestampOffset();
    const offsets = await this.local.offsets();
    const archived = this.archived(offsets.logStartOffset);
    const manifest = archived && this.archiver.manifestOf(this.topic, this.partition);
    if (!archived || !manifest) return local;
    const best = manifest.segments.filter((s) => s.nextOffset > archived.start && s.baseOffset < offsets.logStartOffset)
      .reduce<number>((m, s) => Math.max(m, s.maxTimestamp), -1);
    if (local && local.timestamp >= best) return local;
    return best >= 0 ? this.offsetForTimestamp(best) : local;
  }

  async waitForData(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const pending = this.remoteInFlight;
    if (pending && offset < (await this.local.offsets()).logStartOffset) {
      // A reader of archived offsets waits for its archive read to land (or the time, or the abort).
      const timeout = this.local.waitForData(Number.MAX_SAFE_INTEGER, timeoutMs, signal);
      return Promise.race([pending.then(() => true), timeout]);
    }
    return this.local.waitForData(offset, timeoutMs, signal);
  }
}

/** The local store with the archive behind it; see the top of the file. */
export class TieredLogStore implements LogStore {
  private readonly remote: RemoteReads;
  private readonly wrapped = new Map<PartitionStore, TieredPartition>();

  constructor(private readonly local: LogManager, private readonly archiver: Archiver) {
    this.remote = new RemoteReads(archiver.store);
  }

  get clusterId(): string {
    return this.local.clusterId;
  }

  get offsets() {
    return this.local.offsets;
  }

  get securityStore() {
    return this.local.securityStore;
  }

  get transactionStore() {
    return this.local.transactionStore;
  }

  get schemaStore() {
    return this.local.schemaStore;
  }

  partition(topic: string, partition: number): PartitionStore {
    const local = this.local.partition(topic, partition);
    let tiered = this.wrapped.get(local);
    if (!tiered) {
      tiered = new TieredPartition(local, this.archiver, this.remote);
      this.wrapped.set(local, tiered);
    }
    return tiered;
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    const description = await this.local.describeTopic(name);
    const states = await Promise.all(description.partitionStates.map(async (p) => ({ ...p, ...await this.partition(name, p.partition).offsets() })));
    return { ...description, partitionStates: states };
  }

  async deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    const local = await this.local.partition(topic, partition).offsets();
    if (offset >= local.logStartOffset || offset === -1 || this.local.isInternalTopic(topic)) {
      const start = await this.local.deleteRecords(topic, partition, offset);
      // The archive serves nothing below the new start either.
      this.archiver.setFloor(topic, partition, start);
      return start;
    }
    // Below the local start: only the archive holds those offsets, and now serves none below `offset`.
    const tiered = await this.partition(topic, partition).offsets();
    if (offset < 0) throw new OffsetOutOfRangeError(offset, tiered.logStartOffset, tiered.highWatermark);
    this.archiver.setFloor(topic, partition, offset);
    return (await this.partition(topic, partition).offsets()).logStartOffset;
  }

  async deleteTopic(name: string): Promise<void> {
    await this.local.deleteTopic(name);
    for (const key of this.wrapped.keys()) if (key.topic === name) this.wrapped.delete(key);
  }

  createTopic(...args: Parameters<LogStore["createTopic"]>) { return this.local.createTopic(...args); }
  createPartitions(name: string, total: number) { return this.local.createPartitions(name, total); }
  alterTopicConfig(...args: Parameters<LogStore["alterTopicConfig"]>) { return this.local.alterTopicConfig(...args); }
  hasTopic(name: string) { return this.local.hasTopic(name); }
  isInternalTopic(name: string) { return this.local.isInternalTopic(name); }
  listTopics(options?: { includeInternal?: boolean }) { return this.local.listTopics(options); }
  effectiveConfig(name: string) { return this.local.effectiveConfig(name); }
  partitionCount(name: string) { return this.local.partitionCount(name); }
  describeTopicId(name: string) { return this.local.describeTopicId(name); }
  topicNameById(id: string) { return this.local.topicNameById(id); }
  allocateProducerIds(count: number) { return this.local.allocateProducerIds(count); }
  partitionsRefusingWrites() { return this.local.partitionsRefusingWrites(); }
  damagedBatches() { return this.local.damagedBatches(); }
  runMaintenance(now?: number) { return this.local.runMaintenance(now); }
  close() { return this.local.close(); }
}
