// A LogStore that keeps everything in memory: the same rules as the local
// engine (batches checked by the same validator, offsets, idempotent
// producers, topic and config rules, errors), no files and no durability.
// Handler tests run on it without sockets or disk, and the contract suite
// (test/contract/) holds it and the engine to one behaviour.

import { randomUUID } from "node:crypto";
import { BASE_OFFSET, CONTROL_BIT, PARTITION_LEADER_EPOCH, TRANSACTIONAL_BIT, writeInt64, readBatchHeader } from "../protocol/record-batch-header.js";
import { decodeRecordBatch } from "../protocol/record-batch-codec.js";
import { batchRules, validateBatch } from "./batch-validator.js";
import { InvalidConfigError, InvalidPartitionsError, InvalidTopicError, LogClosedError, OffsetOutOfRangeError, TopicExistsError, UnknownTopicError } from "./errors.js";
import { ProducerStateTable } from "./producer-state.js";
import { DataWaiters } from "./data-waiters.js";
import {
  TopicPartition, checkNoCollision, checkPartitionCount, validateTopicName,
  type AbortedTransaction, type AppendOptions, type AppendResult, type CommittedOffset, type GroupOffsetStore, type KeyValueStore, type LogStore,
  type OffsetCommit, type PartitionOffsets, type PartitionStore, type ReadResult, type TimestampedOffset, type TopicDescription, type TopicInfo,
} from "./store.js";
import { effectiveTopicConfig, isTopicSetting, resolveTopicConfig, validateOverrides, type EffectiveSetting, type TopicConfig } from "./topic-config.js";
import { TransactionIndex } from "./transaction-index.js";
import { markerTypeOf } from "../protocol/control-batch.js";

/** The internal topics every store has, as the engine names them. */
const INTERNAL_TOPICS = ["__tributary_metadata", "__consumer_offsets", "_schemas", "__tributary_security", "__transaction_state"];

interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  bytes: Buffer;
}

class MemoryPartition implements PartitionStore {
  private readonly batches: StoredBatch[] = [];
  private readonly producers = new ProducerStateTable();
  private readonly transactions = new TransactionIndex();
  private readonly waiters = new DataWaiters();
  private appendTail: Promise<void> = Promise.resolve();
  private logEndOffset = 0;
  private logStartOffset = 0;
  private closed = false;

  constructor(readonly topic: string, readonly partition: number, public topicConfig: TopicConfig) {}

  readonly writeRefusal = undefined;

  async offsets(): Promise<PartitionOffsets> {
    return { logStartOffset: this.logStartOffset, highWatermark: this.logEndOffset, logEndOffset: this.logEndOffset, lastStableOffset: this.transactions.lastStableOffset(this.logEndOffset) };
  }

  abortedTransactions(from: number, to: number): AbortedTransaction[] {
    return this.transactions.abortedIn(from, to);
  }

  async append(batch: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) throw new LogClosedError(`partition ${this.topic}-${this.partition}`);
    const validation = validateBatch(batch, batchRules(this.topicConfig, options), Date.now(), options.decompressedRecords);
    // Checked concurrently, written in arrival order, as the engine does.
    const turn = this.appendTail;
    let done!: () => void;
    this.appendTail = new Promise<void>((resolve) => (done = resolve));
    try {
      const [valid] = await Promise.all([validation, turn]);
      const h = valid.header;
      const control = (h.attributes & CONTROL_BIT) !== 0;
      const retried = h.producerId >= 0 && !control ? this.producers.check(h.producerId, h.producerEpoch, h.baseSequence, h.lastOffsetDelta + 1) : undefined;
      if (retried) return { baseOffset: retried.baseOffset, lastOffset: retried.lastOffset, logAppendTime: -1, logStartOffset: this.logStartOffset, duplicate: true };
      const baseOffset = this.logEndOffset;
      const lastOffset = baseOffset + h.lastOffsetDelta;
      const bytes = Buffer.from(valid.batch);
      writeInt64(bytes, BASE_OFFSET, baseOffset);
      bytes.writeInt32BE(options.leaderEpoch ?? 0, PARTITION_LEADER_EPOCH);
      this.batches.push({ baseOffset, lastOffset, maxTimestamp: valid.maxTimestamp, bytes });
      this.logEndOffset = lastOffset + 1;
      if (h.producerId >= 0 && !control) this.producers.record(h.producerId, h.producerEpoch, h.baseSequence, baseOffset, lastOffset, valid.maxTimestamp);
      this.transactions.onBatch(h.producerId, (h.attributes & TRANSACTIONAL_BIT) !== 0, control, control ? markerTypeOf(bytes) : undefined, baseOffset, lastOffset);
      this.waiters.readable(this.logEndOffset);
      return { baseOffset, lastOffset, logAppendTime: this.topicConfig.logAppendTime ? valid.maxTimestamp : -1, logStartOffset: this.logStartOffset };
    } finally {
      done();
    }
  }

  /** Index of the first batch whose last offset is >= offset. */
  private batchIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async read(offset: number, maxBytes: number): Promise<ReadResult> {
    if (this.closed) throw new LogClosedError(`partition ${this.topic}-${this.partition}`);
    const highWatermark = this.logEndOffset;
    if (offset < this.logStartOffset || offset > highWatermark) throw new OffsetOutOfRangeError(offset, this.logStartOffset, highWatermark);
    const out: Buffer[] = [];
    let bytes = 0;
    for (let i = this.batchIndexFor(offset); i < this.batches.length; i++) {
      const b = this.batches[i]!.bytes;
      if (out.length > 0 && bytes + b.length > maxBytes) break;
      out.push(b);
      bytes += b.length;
    }
    return { records: Buffer.concat(out), highWatermark, logStartOffset: this.logStartOffset };
  }

  async offsetForTimestamp(timestamp: number): Promise<TimestampedOffset | undefined> {
    for (let i = this.batchIndexFor(this.logStartOffset); i < this.batches.length; i++) {
      const b = this.batches[i]!;
      if (b.maxTimestamp < timestamp) continue;
      for (const r of (await decodeRecordBatch(b.bytes)).records) {
        if (r.offset >= this.logStartOffset && r.timestamp >= timestamp) return { offset: r.offset, timestamp: r.timestamp };
      }
    }
    return undefined;
  }

  async maxTimestampOffset(): Promise<TimestampedOffset | undefined> {
    let best: StoredBatch | undefined;
    for (let i = this.batchIndexFor(this.logStartOffset); i < this.batches.length; i++) {
      const b = this.batches[i]!;
      if (readBatchHeader(b.bytes, 0).recordCount > 0 && (!best || b.maxTimestamp > best.maxTimestamp)) best = b;
    }
    return best ? this.offsetForTimestamp(best.maxTimestamp) : undefined;
  }

  waitForData(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.waiters.wait(offset, this.logEndOffset, timeoutMs, signal);
  }

  deleteRecordsBefore(offset: number): number {
    const target = offset === -1 ? this.logEndOffset : offset;
    if (target < 0 || target > this.logEndOffset) throw new OffsetOutOfRangeError(target, this.logStartOffset, this.logEndOffset);
    this.logStartOffset = Math.max(this.logStartOffset, target);
    this.batches.splice(0, this.batchIndexFor(this.logStartOffset));
    return this.logStartOffset;
  }

  get sizeBytes(): number {
    return this.batches.reduce((n, b) => n + b.bytes.length, 0);
  }

  close(): void {
    this.closed = true;
    this.waiters.close();
  }
}

export class MemoryKeyValueStore<V> implements KeyValueStore<V> {
  private readonly values = new Map<string, V>();

  get(key: string): V | undefined {
    return this.values.get(key);
  }

  entries(): IterableIterator<[string, V]> {
    return this.values.entries();
  }

  async put(changes: [string, V | null][]): Promise<void> {
    for (const [key, value] of changes) {
      if (value === null) this.values.delete(key);
      else this.values.set(key, structuredClone(value));
    }
  }
}

class MemoryGroupOffsets implements GroupOffsetStore {
  /** group -> "topic\0partition" -> offset */
  private readonly groupsById = new Map<string, Map<string, { topic: string; partition: number; committed: CommittedOffset }>>();

  async commit(group: string, commits: OffsetCommit[], now = Date.now()): Promise<void> {
    const offsets = this.groupsById.get(group) ?? new Map();
    for (const c of commits) {
      offsets.set(TopicPartition.key(c.topic, c.partition), {
        topic: c.topic, partition: c.partition,
        committed: { offset: c.offset, leaderEpoch: c.leaderEpoch ?? -1, metadata: c.metadata ?? null, commitTimestamp: now },
      });
    }
    if (offsets.size > 0) this.groupsById.set(group, offsets);
  }

  async get(group: string, topic: string, partition: number): Promise<CommittedOffset | undefined> {
    return this.groupsById.get(group)?.get(TopicPartition.key(topic, partition))?.committed;
  }

  async list(group: string, topic?: string): Promise<{ topic: string; partition: number; committed: CommittedOffset }[]> {
    return [...(this.groupsById.get(group)?.values() ?? [])]
      .filter((e) => topic === undefined || e.topic === topic)
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  async groups(): Promise<string[]> {
    return [...this.groupsById.keys()].sort();
  }

  async deletePartitions(group: string, partitions: { topic: string; partition: number }[]): Promise<void> {
    const offsets = this.groupsById.get(group);
    for (const p of partitions) offsets?.delete(TopicPartition.key(p.topic, p.partition));
    if (offsets?.size === 0) this.groupsById.delete(group);
  }

  async delete(group: string, topics?: string[]): Promise<void> {
    const offsets = this.groupsById.get(group);
    if (!offsets) return;
    for (const [key, e] of offsets) if (!topics || topics.includes(e.topic)) offsets.delete(key);
    if (offsets.size === 0) this.groupsById.delete(group);
  }

  /** Every group's offsets of a deleted topic go too. */
  deleteTopic(topic: string): void {
    for (const group of [...this.groupsById.keys()]) void this.delete(group, [topic]);
  }
}

interface MemoryTopic {
  info: TopicInfo;
  partitions: MemoryPartition[];
}

export interface MemoryStoreOptions {
  topicDefaults?: Record<string, string>;
  partitionsPerTopicMax?: number;
}

export class MemoryLogStore implements LogStore {
  readonly clusterId = randomUUID();
  readonly offsets = new MemoryGroupOffsets();
  readonly schemaStore = new MemoryKeyValueStore<unknown>();
  readonly securityStore = new MemoryKeyValueStore<unknown>();
  readonly transactionStore = new MemoryKeyValueStore<unknown>();
  private readonly topics = new Map<string, MemoryTopic>();
  private nextProducerId = 0;

  constructor(private readonly options: MemoryStoreOptions = {}) {
    validateOverrides(options.topicDefaults ?? {});
    for (const name of INTERNAL_TOPICS) {
      const configs = { "cleanup.policy": "compact" };
      this.topics.set(name, { info: { name, id: randomUUID(), partitions: 1, configs, internal: true }, partitions: [this.newPartition(name, 0, configs)] });
    }
  }

  private newPartition(topic: string, partition: number, overrides: Record<string, string>): MemoryPartition {
    return new MemoryPartition(topic, partition, resolveTopicConfig(overrides, this.options.topicDefaults));
  }

  private get partitionsPerTopicMax(): number {
    return this.options.partitionsPerTopicMax ?? 1000;
  }

  private topic(name: string): MemoryTopic {
    const topic = this.topics.get(name);
    if (!topic) throw new UnknownTopicError(name);
    return topic;
  }

  private mutable(name: string): MemoryTopic {
    const topic = this.topic(name);
    if (topic.info.internal) throw new InvalidTopicError(`'${name}' is an internal topic`);
    return topic;
  }

  async createTopic(name: string, options: { partitions?: number; configs?: Record<string, string> } = {}): Promise<TopicInfo> {
    validateTopicName(name);
    if (this.topics.has(name)) throw new TopicExistsError(name);
    checkNoCollision(this.topics.keys(), name);
    const count = options.partitions ?? 1;
    checkPartitionCount(count, this.partitionsPerTopicMax);
    const configs = validateOverrides(options.configs ?? {});
    const partitions = Array.from({ length: count }, (_, p) => this.newPartition(name, p, configs));
    const info: TopicInfo = { name, id: randomUUID(), partitions: count, configs, internal: false };
    this.topics.set(name, { info, partitions });
    return { ...info, configs: { ...configs } };
  }

  async deleteTopic(name: string): Promise<void> {
    const topic = this.mutable(name);
    this.topics.delete(name);
    for (const p of topic.partitions) p.close();
    this.offsets.deleteTopic(name);
  }

  async createPartitions(name: string, total: number): Promise<TopicInfo> {
    const topic = this.mutable(name);
    checkPartitionCount(total, this.partitionsPerTopicMax);
    if (total <= topic.info.partitions) throw new InvalidPartitionsError(`topic '${name}' has ${topic.info.partitions} partitions; the new count must be larger`);
    for (let p = topic.info.partitions; p < total; p++) topic.partitions.push(this.newPartition(name, p, topic.info.configs));
    topic.info = { ...topic.info, partitions: total };
    return { ...topic.info, configs: { ...topic.info.configs } };
  }

  async alterTopicConfig(name: string, changes: { set?: Record<string, string>; remove?: string[] }): Promise<TopicInfo> {
    const topic = this.mutable(name);
    const configs = { ...topic.info.configs, ...validateOverrides(changes.set ?? {}) };
    for (const key of changes.remove ?? []) {
      if (!isTopicSetting(key)) throw new InvalidConfigError(`unknown topic config '${key}'`);
      delete configs[key];
    }
    const config = resolveTopicConfig(configs, this.options.topicDefaults);
    topic.info = { ...topic.info, configs };
    for (const p of topic.partitions) p.topicConfig = config;
    return { ...topic.info, configs: { ...configs } };
  }

  async deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    if (this.isInternalTopic(topic)) throw new InvalidTopicError(`cannot delete records of internal topic '${topic}'`);
    return (this.partition(topic, partition) as MemoryPartition).deleteRecordsBefore(offset);
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  isInternalTopic(name: string): boolean {
    return this.topics.get(name)?.info.internal ?? false;
  }

  listTopics(options: { includeInternal?: boolean } = {}): TopicInfo[] {
    return [...this.topics.values()]
      .filter((t) => options.includeInternal || !t.info.internal)
      .map((t) => ({ ...t.info, configs: { ...t.info.configs } }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    const topic = this.topic(name);
    return {
      ...topic.info,
      configs: { ...topic.info.configs },
      config: topic.partitions[0]!.topicConfig,
      partitionStates: await Promise.all(topic.partitions.map(async (p) => ({
        partition: p.partition, ...await p.offsets(), sizeBytes: p.sizeBytes, segments: 1,
      }))),
    };
  }

  effectiveConfig(name: string): EffectiveSetting[] {
    return effectiveTopicConfig(this.topic(name).info.configs, this.options.topicDefaults);
  }

  partitionCount(name: string): number {
    return this.topic(name).partitions.length;
  }

  describeTopicId(name: string): string {
    return this.topic(name).info.id;
  }

  topicNameById(id: string): string | undefined {
    for (const t of this.topics.values()) if (t.info.id === id) return t.info.name;
    return undefined;
  }

  partition(topic: string, partition: number): PartitionStore {
    const p = this.topic(topic).partitions[partition];
    if (!p) throw new UnknownTopicError(topic, partition);
    return p;
  }

  async allocateProducerIds(count: number): Promise<number> {
    const first = this.nextProducerId;
    this.nextProducerId += count;
    return first;
  }

  partitionsRefusingWrites(): string[] {
    return [];
  }

  damagedBatches(): number {
    return 0;
  }

  /** Nothing runs on a timer here: retention and compaction belong to stores that keep files. */
  async runMaintenance(): Promise<{ segmentsDeleted: number }> {
    return { segmentsDeleted: 0 };
  }

  async close(): Promise<void> {
    for (const t of this.topics.values()) for (const p of t.partitions) p.close();
  }
}
