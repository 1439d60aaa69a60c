// The seam between the servers and the storage: everything the Kafka and HTTP
// servers, the schema registry, the group coordinator, metrics and embedders
// may ask of a log, and nothing else. The local engine (log-manager.ts,
// partition-log.ts) implements it, and so does the in-memory store
// (memory-store.ts); archive tiers and a real Kafka cluster go behind it too.
// `scripts/check-layers.mjs` keeps server/, schema/ and cli/ from importing
// anything of log/ but this file, errors.ts and topic-config.ts.
//
// Reads are asynchronous: a store may have to fetch bytes from far away. Bytes
// are whole RecordBatch v2 batches exactly as stored, so a Fetch answer is the
// stored bytes, never re-encoded.

import type { EffectiveSetting, TopicConfig } from "./topic-config.js";
import { InvalidPartitionsError, InvalidTopicError } from "./errors.js";

const TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;
const TOPIC_NAME_LENGTH_MAX = 249;

/** Kafka's rules for topic names; InvalidTopicError naming the broken one. */
export function validateTopicName(name: string): void {
  if (typeof name !== "string" || name.length === 0) throw new InvalidTopicError("topic name is empty");
  if (name.length > TOPIC_NAME_LENGTH_MAX) throw new InvalidTopicError(`topic name is longer than ${TOPIC_NAME_LENGTH_MAX} characters`);
  if (name === "." || name === "..") throw new InvalidTopicError(`'${name}' is not a valid topic name`);
  if (!TOPIC_NAME.test(name)) throw new InvalidTopicError(`topic name '${name}' may only contain ASCII letters, digits, '.', '_' and '-'`);
}

/** As in Kafka, '.' and '_' map to the same metric names, so names that differ only there may not coexist. */
export function checkNoCollision(existing: Iterable<string>, name: string): void {
  const folded = name.replace(/\./g, "_");
  for (const t of existing) {
    if (t.replace(/\./g, "_") === folded) throw new InvalidTopicError(`topic '${name}' collides with existing topic '${t}' ('.' and '_' are interchangeable in metric names)`);
  }
}

/** InvalidPartitionsError unless `count` is a partition count a topic may have. */
export function checkPartitionCount(count: number, max: number): void {
  if (!Number.isInteger(count) || count < 1 || count > max) throw new InvalidPartitionsError(`partition count ${count} must be an integer in [1, ${max}]`);
}

/** A topic and one of its partitions: a value, comparable through `key`. */
export class TopicPartition {
  constructor(readonly topic: string, readonly partition: number) {}

  /** The same string for equal values: for Map and Set keys. */
  get key(): string {
    return TopicPartition.key(this.topic, this.partition);
  }

  static key(topic: string, partition: number): string {
    // NUL cannot occur in a topic name, so no two pairs share a key.
    return `${topic}\u0000${partition}`;
  }

  static fromKey(key: string): TopicPartition {
    const cut = key.lastIndexOf("\u0000");
    return new TopicPartition(key.slice(0, cut), Number(key.slice(cut + 1)));
  }

  /** `topic-partition`, as Kafka names a partition's directory and logs it. */
  toString(): string {
    return `${this.topic}-${this.partition}`;
  }
}

export interface AppendOptions {
  /** Internal writers (coordinators) may write control batches; producers may not. */
  allowControl?: boolean;
  leaderEpoch?: number;
  /**
   * The batch's records section, already decompressed by the caller (to check
   * schemas): the store need not inflate it a second time.
   */
  decompressedRecords?: Buffer;
  /**
   * The batch may skip offset deltas (records removed from a producer's batch,
   * as compaction removes them): lastOffsetDelta still counts every offset
   * the producer's batch had, so its offsets and sequence numbers stay its own.
   */
  sparse?: boolean;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The broker time stamped into the batch when the topic uses LogAppendTime, else -1. */
  logAppendTime: number;
  logStartOffset: number;
  /** True when the batch was a producer's retry of one already written: nothing new was appended. */
  duplicate?: boolean;
}

export interface ReadResult {
  /** Whole batches, concatenated, exactly as stored (may start before the requested offset). */
  records: Buffer;
  highWatermark: number;
  logStartOffset: number;
}

/** Where a partition's log stands. */
export interface PartitionOffsets {
  /** The first offset still readable. */
  logStartOffset: number;
  /** Readers see records below it: with flush=always, everything durable. */
  highWatermark: number;
  /** The offset the next record gets. */
  logEndOffset: number;
  /** read_committed readers see records below it: the start of the oldest open transaction, else the high watermark. */
  lastStableOffset: number;
}

export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
  /** The offset of its ABORT marker. */
  lastOffset: number;
}

/** Whether a transactional batch of `producerId` starting at `baseOffset` belongs to one of the aborted transactions. */
export function inAbortedTransaction(aborted: AbortedTransaction[], producerId: number, baseOffset: number): boolean {
  return aborted.some((a) => a.producerId === producerId && a.firstOffset <= baseOffset && baseOffset <= a.lastOffset);
}

export interface TimestampedOffset {
  offset: number;
  timestamp: number;
}

/** One partition of a topic. */
export interface PartitionStore {
  readonly topic: string;
  readonly partition: number;
  /** The topic's config in force, defaults filled in. */
  readonly topicConfig: TopicConfig;
  /** Why the partition refuses writes after a storage failure; undefined while it takes them. */
  readonly writeRefusal: string | undefined;
  offsets(): Promise<PartitionOffsets>;
  /** Aborted transactions with records in [from, to): a read_committed reader drops their records. */
  abortedTransactions(from: number, to: number): AbortedTransaction[];
  /**
   * Appends one RecordBatch v2 (the buffer becomes the store's: offsets are
   * written into it). Resolves once the batch is durable; rejects with a
   * LogError, having written nothing, when the batch is invalid.
   */
  append(batch: Buffer, options?: AppendOptions): Promise<AppendResult>;
  /**
   * Whole batches from the one holding `offset`, up to `maxBytes` (at least
   * one batch when any is readable) and never past the high watermark;
   * OffsetOutOfRangeError outside [log start, high watermark].
   */
  read(offset: number, maxBytes: number): Promise<ReadResult>;
  /** The first record with a timestamp >= `timestamp` (ListOffsets by time). */
  offsetForTimestamp(timestamp: number): Promise<TimestampedOffset | undefined>;
  /** The record with the largest timestamp (ListOffsets MAX_TIMESTAMP). */
  maxTimestampOffset(): Promise<TimestampedOffset | undefined>;
  /**
   * True as soon as a record at or after `offset` is readable; false after
   * `timeoutMs`, when `signal` aborts or when the store closes. Never polls.
   */
  waitForData(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
}

export interface TopicInfo {
  name: string;
  id: string;
  partitions: number;
  /** Overrides set on the topic; everything else is the broker default. */
  configs: Record<string, string>;
  internal: boolean;
}

export interface PartitionState extends Omit<PartitionOffsets, "lastStableOffset"> {
  partition: number;
  sizeBytes: number;
  segments: number;
}

export interface TopicDescription extends TopicInfo {
  config: TopicConfig;
  partitionStates: PartitionState[];
}

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: number;
}

export interface OffsetCommit {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch?: number;
  metadata?: string | null;
}

/** Committed consumer-group offsets. A commit of many partitions lands whole or not at all. */
export interface GroupOffsetStore {
  commit(group: string, commits: OffsetCommit[], now?: number): Promise<void>;
  get(group: string, topic: string, partition: number): Promise<CommittedOffset | undefined>;
  /** Every committed offset of a group (optionally of one topic), by topic and partition. */
  list(group: string, topic?: string): Promise<{ topic: string; partition: number; committed: CommittedOffset }[]>;
  groups(): Promise<string[]>;
  deletePartitions(group: string, partitions: { topic: string; partition: number }[]): Promise<void>;
  /** A group's offsets: all, or those of `topics`. */
  delete(group: string, topics?: string[]): Promise<void>;
}

/**
 * A durable map, the latest value per key winning, read from memory (the
 * schema registry's state). `put` writes all changes at once: durable and
 * visible when it resolves.
 */
export interface KeyValueStore<V> {
  get(key: string): V | undefined;
  entries(): IterableIterator<[string, V]>;
  put(changes: [string, V | null][]): Promise<void>;
}

/** The topics of one cluster, their partitions, group offsets and the registry's store. */
export interface LogStore {
  readonly clusterId: string;
  readonly offsets: GroupOffsetStore;
  /** Where the schema registry keeps its schemas (the `_schemas` topic). */
  readonly schemaStore: KeyValueStore<unknown>;
  /** Where users, ACLs and HTTP tokens are kept (the `__tributary_security` topic; interpreted by src/security/). */
  readonly securityStore: KeyValueStore<unknown>;
  /** The transaction coordinator's state (the `__transaction_state` topic); absent where a cluster coordinates its own. */
  readonly transactionStore?: KeyValueStore<unknown>;

  createTopic(name: string, options?: { partitions?: number; configs?: Record<string, string> }): Promise<TopicInfo>;
  deleteTopic(name: string): Promise<void>;
  createPartitions(name: string, total: number): Promise<TopicInfo>;
  /** Sets and removes config overrides (Kafka IncrementalAlterConfigs semantics). */
  alterTopicConfig(name: string, changes: { set?: Record<string, string>; remove?: string[] }): Promise<TopicInfo>;
  /** Kafka DeleteRecords: moves the log start to `offset` (-1: the high watermark); returns the new log start. */
  deleteRecords(topic: string, partition: number, offset: number): Promise<number>;

  hasTopic(name: string): boolean;
  /**
   * Asks the storage again about a topic not known here: a Kafka cluster's
   * store learns of topics other clients create at its next metadata
   * refresh, and this makes it look now. Absent where what is known is
   * always current (the local engine).
   */
  lookUpTopic?(name: string): Promise<boolean>;
  isInternalTopic(name: string): boolean;
  /** Complete topics, by name; internal ones only when asked. */
  listTopics(options?: { includeInternal?: boolean }): TopicInfo[];
  describeTopic(name: string): Promise<TopicDescription>;
  /** Every config of a topic with the value in force and where it comes from. */
  effectiveConfig(name: string): EffectiveSetting[];
  partitionCount(name: string): number;
  /** The topic's id (a UUID that a recreated topic of the same name does not share). */
  describeTopicId(name: string): string;
  topicNameById(id: string): string | undefined;
  /** UnknownTopicError when the topic or partition does not exist. */
  partition(topic: string, partition: number): PartitionStore;

  /** Reserves `count` producer ids never handed out before or after, across restarts. */
  allocateProducerIds(count: number): Promise<number>;
  /** Partitions that refuse writes after a storage failure, each with its reason. */
  partitionsRefusingWrites(): string[];
  /** Damaged stored batches found since start (never served). */
  damagedBatches(): number;
  /** Retention, compaction and whatever else the store does on its own timer, now. */
  runMaintenance(now?: number): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Resolves true as soon as any of the partitions has a record at or after its
 * offset, false after `timeoutMs` or when `signal` aborts. The one wait of the
 * three kinds of readers that hold a request open: Kafka fetches, HTTP event
 * streams and REST consumers. A partition gone meanwhile is left out (the
 * next read reports it).
 */
export async function waitForAny(store: LogStore, targets: { topic: string; partition: number; offset: number }[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  if (timeoutMs <= 0 || signal?.aborted) return false;
  const round = new AbortController();
  const stop = () => round.abort();
  signal?.addEventListener("abort", stop);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const waits: Promise<boolean>[] = [new Promise((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))];
    for (const t of targets) {
      let partition: PartitionStore;
      try {
        partition = store.partition(t.topic, t.partition);
      } catch {
        continue; // deleted meanwhile
      }
      waits.push(partition.waitForData(t.offset, timeoutMs, round.signal));
    }
    return await Promise.race(waits);
  } finally {
    clearTimeout(timer);
    round.abort();
    signal?.removeEventListener("abort", stop);
  }
}

/**
 * Waits for committed records past `offset` in any of the partitions, or
 * `timeoutMs`: like waitForAny, but a partition held at its last stable
 * offset by an open transaction is looked at again every 100 ms (its records
 * are there, not yet readable).
 */
export async function waitForCommitted(logs: LogStore, positions: { topic: string; partition: number; offset: number }[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  if (timeoutMs <= 0 || signal?.aborted) return false;
  // Asking where the partitions stand may itself wait (a cluster away): never past the timeout or the abort.
  const deadline = Date.now() + timeoutMs;
  let wake: () => void = () => undefined;
  const cut = new Promise<undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    const abort = () => resolve(undefined);
    signal?.addEventListener("abort", abort, { once: true });
    wake = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
    };
  });
  try {
    for (const p of positions) {
      let offsets: PartitionOffsets | undefined;
      try {
        offsets = await Promise.race([logs.partition(p.topic, p.partition).offsets(), cut]);
      } catch {
        continue; // gone meanwhile: waitForAny below says so in its own way
      }
      if (offsets === undefined) return false;
      if (p.offset < offsets.lastStableOffset) return true;
      if (offsets.lastStableOffset < offsets.highWatermark && p.offset >= offsets.lastStableOffset) {
        await Promise.race([new Promise((resolve) => setTimeout(resolve, Math.min(100, timeoutMs))), cut]);
        return false;
      }
    }
  } finally {
    wake();
  }
  return waitForAny(logs, positions, Math.max(0, deadline - Date.now()), signal);
}
