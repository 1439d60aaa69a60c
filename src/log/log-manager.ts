// The storage engine of one broker: owns the data directory (lock, recovery,
// checkpoints), the topics and their partition logs, and the internal topics
// that persist topic metadata and committed consumer offsets.
//
// Layout of a data directory:
//   tributary.lock              owner pid (see data-dir-lock.ts)
//   checkpoint.json             recovery points, log start offsets, compaction progress
//   .clean-shutdown             present only while no process has the directory open after a clean stop
//   __tributary_metadata-0/     compacted: cluster id, topics with their ids, partition counts and configs
//   __consumer_offsets-0/       compacted: committed offsets per group, topic and partition
//   <topic>-<partition>/        segments: <20-digit base offset>.log / .index / .timeindex

import { io } from "./file-io.js";
import * as path from "node:path";
import { createHash, randomUUID } from "node:crypto";
import { CompactedStore } from "./compacted-store.js";
import { compactPartition, dirtyRatio, type CompactionResult } from "./compactor.js";
import { CLEAN_SHUTDOWN_FILE, readCheckpoints, writeCheckpoints, type Checkpoints } from "./checkpoint-file.js";
import { DataDirLock } from "./data-dir-lock.js";
import { segmentFiles } from "./file-pool.js";
import { segmentFileName } from "./segment.js";
import { InvalidConfigError, InvalidPartitionsError, InvalidTopicError, LeaderNotAvailableError, LogError, StorageError, TopicExistsError, UnknownTopicError } from "./errors.js";
import { fsyncDirectory, isPartitionDirectoryName, writeFileDurably } from "./fs-util.js";
import { OffsetStore } from "./offset-store.js";
import { damagedBatchCount } from "./damage-report.js";
import { checkNoCollision, checkPartitionCount, validateTopicName, type CommittedOffset, type LogStore, type TopicDescription, type TopicInfo } from "./store.js";
import { PartitionLog } from "./partition-log.js";
import type { OpenReport } from "./partition-recovery.js";
import { effectiveTopicConfig, isTopicSetting, resolveTopicConfig, validateOverrides, type EffectiveSetting, type TopicConfig } from "./topic-config.js";
import { opsLog } from "../ops/ops-log.js";

export const METADATA_TOPIC = "__tributary_metadata";
export const OFFSETS_TOPIC = "__consumer_offsets";
/** Where the schema registry keeps its schemas, as the Confluent registry does. */
export const SCHEMAS_TOPIC = "_schemas";
export const SECURITY_TOPIC = "__tributary_security";
export const TRANSACTION_TOPIC = "__transaction_state";
const INTERNAL_TOPIC_CONFIG: Record<string, string> = {
  "cleanup.policy": "compact",
  "segment.bytes": String(16 * 1024 * 1024),
  "retention.ms": "-1",
};
/** Where start-up puts directories that belong to no topic, instead of deleting them. */
export const LOST_AND_FOUND = "lost+found";

export interface LogManagerOptions {
  dataDir: string;
  /** Broker-wide defaults for topic configs (Kafka names). */
  topicDefaults?: Record<string, string>;
  /** How often retention, compaction and checkpoints run; 0 turns the timer off. */
  maintenanceIntervalMs?: number;
  partitionsPerTopicMax?: number;
  /** Told how long each fdatasync round took, for metrics. */
  onFlush?: (seconds: number) => void;
  /** Told when a topic has been deleted, for metrics. */
  onTopicDeleted?: (name: string) => void;
  /** Segment files kept open at once (the pool closes the least recently used). */
  segmentFilesOpenMax?: number;
}

interface TopicRecord {
  name: string;
  id: string;
  partitions: number;
  configs: Record<string, string>;
  createdMs: number;
}

interface ClusterRecord {
  clusterId: string;
  createdMs: number;
}

/** A closed segment as the archive sees it: its offsets, size and files. */
export interface ClosedSegment {
  baseOffset: number;
  /** The offset after its last record. */
  nextOffset: number;
  size: number;
  maxTimestamp: number;
  files: { log: string; index: string; timeindex: string };
}

export interface ClosedSegments {
  topic: string;
  topicId: string;
  partition: number;
  config: TopicConfig;
  segments: ClosedSegment[];
}

export interface MaintenanceReport {
  segmentsDeleted: number;
  compacted: { partition: string; result: CompactionResult }[];
}

interface Topic {
  record: TopicRecord;
  internal: boolean;
  partitions: PartitionLog[];
}

export class LogManager implements LogStore {
  private readonly topics = new Map<string, Topic>();
  private timer: NodeJS.Timeout | undefined;
  private tombstoneExpiry = new Map<PartitionLog, number>();
  private closed = false;
  private retentionHold: ((topic: string, partition: number, baseOffset: number) => boolean) | undefined;
  private catalog!: CompactedStore<TopicRecord | ClusterRecord | { next: number }>;
  offsets!: OffsetStore;
  /** The schema registry's store (interpreted by src/schema/). */
  schemaStore!: CompactedStore<unknown>;
  /** Users, ACLs and tokens (interpreted by src/security/). */
  securityStore!: CompactedStore<unknown>;
  /** The transaction coordinator's state (interpreted by src/server/transactions/). */
  transactionStore!: CompactedStore<unknown>;
  clusterId = "";
  /** Per partition, what start-up recovery found (only partitions where it cut something). */
  readonly recoveries: { partition: string; report: OpenReport }[] = [];

  private constructor(
    readonly dataDir: string,
    private readonly lock: DataDirLock,
    private readonly options: LogManagerOptions,
    private readonly cleanStart: boolean,
    private readonly checkpoints: Checkpoints,
  ) {}

  static async open(options: LogManagerOptions): Promise<LogManager> {
    const dataDir = path.resolve(options.dataDir);
    if (!io.existsSync(dataDir)) {
      io.mkdirSync(dataDir);
      // A new data dir's own entry must be durable too, or a power cut could take the whole directory.
      fsyncDirectory(path.dirname(dataDir));
    }
    const lock = DataDirLock.acquire(dataDir);
    try {
      const marker = path.join(dataDir, CLEAN_SHUTDOWN_FILE);
      const clean = io.existsSync(marker);
      if (clean) {
        // From here on the directory is in use: a crash must count as unclean.
        io.removeSync(marker);
        fsyncDirectory(dataDir);
      }
      validateOverrides(options.topicDefaults ?? {});
      if (options.segmentFilesOpenMax !== undefined) segmentFiles.filesOpenMax = options.segmentFilesOpenMax;
      const manager = new LogManager(dataDir, lock, options, clean, readCheckpoints(dataDir));
      await manager.load();
      return manager;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private async load(): Promise<void> {
    const hadMetadata = io.existsSync(path.join(this.dataDir, `${METADATA_TOPIC}-0`));
    const metadata = this.openPartition(METADATA_TOPIC, 0, INTERNAL_TOPIC_CONFIG);
    this.catalog = new CompactedStore(metadata);
    await this.catalog.load();
    this.topics.set(METADATA_TOPIC, { record: this.internalRecord(METADATA_TOPIC), internal: true, partitions: [metadata] });
    let cluster = this.catalog.get("cluster") as ClusterRecord | undefined;
    if (!cluster) {
      // A directory with partitions but no cluster id lost its catalog: starting
      // would make a new cluster and treat every partition as belonging to no topic.
      const partitions = this.partitionDirectories().filter((d) => d !== `${METADATA_TOPIC}-0`);
      if (partitions.length > 0 || hadMetadata && metadata.logEndOffset > 0) {
        throw new StorageError(`refusing to start: ${this.dataDir} holds partition directories (${partitions.slice(0, 3).join(", ")}${partitions.length > 3 ? ", ..." : ""}) ` +
          `but ${METADATA_TOPIC}-0 has no cluster id; restore ${METADATA_TOPIC}-0 from a backup, or move the partitions away to start an empty broker`);
      }
      cluster = { clusterId: randomUUID(), createdMs: Date.now() };
      await this.catalog.put([["cluster", cluster]]);
    }
    this.clusterId = cluster.clusterId;
    const offsetsLog = this.openPartition(OFFSETS_TOPIC, 0, INTERNAL_TOPIC_CONFIG);
    const offsets = new CompactedStore<CommittedOffset>(offsetsLog);
    await offsets.load();
    this.offsets = new OffsetStore(offsets);
    this.topics.set(OFFSETS_TOPIC, { record: this.internalRecord(OFFSETS_TOPIC), internal: true, partitions: [offsetsLog] });
    const schemasLog = this.openPartition(SCHEMAS_TOPIC, 0, INTERNAL_TOPIC_CONFIG);
    this.schemaStore = new CompactedStore<unknown>(schemasLog);
    await this.schemaStore.load();
    this.topics.set(SCHEMAS_TOPIC, { record: this.internalRecord(SCHEMAS_TOPIC), internal: true, partitions: [schemasLog] });
    const securityLog = this.openPartition(SECURITY_TOPIC, 0, INTERNAL_TOPIC_CONFIG);
    this.securityStore = new CompactedStore<unknown>(securityLog);
    await this.securityStore.load();
    this.topics.set(SECURITY_TOPIC, { record: this.internalRecord(SECURITY_TOPIC), internal: true, partitions: [securityLog] });
    const transactionLog = this.openPartition(TRANSACTION_TOPIC, 0, INTERNAL_TOPIC_CONFIG);
    this.transactionStore = new CompactedStore<unknown>(transactionLog);
    await this.transactionStore.load();
    this.topics.set(TRANSACTION_TOPIC, { record: this.internalRecord(TRANSACTION_TOPIC), internal: true, partitions: [transactionLog] });
    const unfinishedDeletions: string[] = [];
    for (const [key, value] of this.catalog.entries()) {
      if (!key.startsWith("topic/")) continue;
      const record = value as TopicRecord;
      if (this.deletionWasUnderway(record)) {
        unfinishedDeletions.push(record.name);
        continue;
      }
      this.checkPartitionDirectories(record);
      const partitions = [];
      for (let p = 0; p < record.partitions; p++) partitions.push(this.openPartition(record.name, p, record.configs));
      this.topics.set(record.name, { record, internal: false, partitions });
    }
    for (const name of unfinishedDeletions) await this.catalog.put([[`topic/${name}`, null]]);
    this.moveOrphansAside();
    this.writeCheckpoints();
    const interval = this.options.maintenanceIntervalMs ?? 10_000;
    if (interval > 0) {
      this.timer = setInterval(() => void this.runMaintenance().catch((err: Error) => {
        opsLog("log").error(`maintenance failed: ${err.message}`);
      }), interval);
      this.timer.unref();
    }
  }

  private internalRecord(name: string): TopicRecord {
    // A stable id derived from the name: the same on every broker and every start.
    const hex = createHash("sha256").update(name).digest("hex");
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    return { name, id, partitions: 1, configs: INTERNAL_TOPIC_CONFIG, createdMs: 0 };
  }

  private resolveConfig(overrides: Record<string, string>): TopicConfig {
    return resolveTopicConfig(overrides, this.options.topicDefaults);
  }

  private openPartition(topic: string, partition: number, overrides: Record<string, string>): PartitionLog {
    const name = `${topic}-${partition}`;
    const { log, report } = PartitionLog.open(path.join(this.dataDir, name), topic, partition,
      this.resolveConfig(overrides), this.checkpoints[name], this.cleanStart, this.options.onFlush);
    if (report.truncatedBytes > 0) {
      this.recoveries.push({ partition: name, report });
      opsLog("log").warn({ partition: name, bytes_cut: report.truncatedBytes, file: report.damage?.file, position: report.damage?.position },
        `recovered ${name}: cut ${report.truncatedBytes} bytes at ${report.damage?.file}:${report.damage?.position} (${report.damage?.reason})`);
    }
    return log;
  }

  private partitionDirectories(): string[] {
    return io.listDirectory(this.dataDir).filter((e) => e.directory && isPartitionDirectoryName(e.name)).map((e) => e.name);
  }

  /** The name a partition directory takes while its topic is deleted: short, whatever the topic's name. */
  private static deletedName(record: TopicRecord, partition: number): string {
    return `${record.id}-${partition}.deleted`;
  }

  /** A crash between renaming a topic's directories away and removing it from the catalog: finish the delete. */
  private deletionWasUnderway(record: TopicRecord): boolean {
    return io.existsSync(path.join(this.dataDir, LogManager.deletedName(record, 0))) && !io.existsSync(path.join(this.dataDir, `${record.name}-0`));
  }

  /**
   * A partition the catalog names but whose directory is gone, though the
   * checkpoint says it held data, is lost data: refuse to start rather than
   * serve it as an empty partition. A directory never written (a crash right
   * after the topic was recorded) is simply created.
   */
  private checkPartitionDirectories(record: TopicRecord): void {
    for (let p = 0; p < record.partitions; p++) {
      const name = `${record.name}-${p}`;
      if (io.existsSync(path.join(this.dataDir, name))) continue;
      const checkpoint = this.checkpoints[name];
      if ((checkpoint?.recoveryPoint?.offset ?? 0) > 0 || (checkpoint?.logStartOffset ?? 0) > 0) {
        throw new StorageError(`refusing to start: partition directory ${name} is missing, but the last checkpoint says it held offsets up to ` +
          `${checkpoint?.recoveryPoint?.offset ?? checkpoint?.logStartOffset}; restore it, or delete topic '${record.name}' to accept the loss`);
      }
    }
  }

  /**
   * Directories that belong to no topic are never deleted: they are moved to
   * lost+found/ with a loud line, for an operator to look at. Only what a
   * topic deletion renamed (`*.deleted`) is removed.
   */
  private moveOrphansAside(): void {
    const known = new Set<string>();
    for (const t of this.topics.values()) for (const p of t.partitions) known.add(path.basename(p.dir));
    for (const entry of io.listDirectory(this.dataDir)) {
      if (!entry.directory || known.has(entry.name)) continue;
      if (entry.name.endsWith(".deleted")) {
        io.removeSync(path.join(this.dataDir, entry.name));
      } else if (isPartitionDirectoryName(entry.name)) this.moveToLostAndFound(entry.name, "it belongs to no topic in the catalog");
    }
  }

  private moveToLostAndFound(name: string, why: string): void {
    const lostAndFound = path.join(this.dataDir, LOST_AND_FOUND);
    io.mkdirSync(lostAndFound);
    const target = path.join(lostAndFound, `${name}.${Date.now()}`);
    opsLog("log").warn({ directory: name, target }, `WARNING: moving ${name} to ${target}: ${why}; nothing in it was deleted`);
    io.renameSync(path.join(this.dataDir, name), target);
    fsyncDirectory(this.dataDir);
  }

  async createTopic(name: string, options: { partitions?: number; configs?: Record<string, string> } = {}): Promise<TopicInfo> {
    validateTopicName(name);
    if (this.topics.has(name)) throw new TopicExistsError(name);
    checkNoCollision(this.topics.keys(), name);
    const partitions = options.partitions ?? 1;
    checkPartitionCount(partitions, this.options.partitionsPerTopicMax ?? 1000);
    const configs = validateOverrides(options.configs ?? {});
    this.resolveConfig(configs);
    const record: TopicRecord = { name, id: randomUUID(), partitions, configs, createdMs: Date.now() };
    // Reserve the name before the first await so a concurrent create of it fails.
    const topic: Topic = { record, internal: false, partitions: [] };
    this.topics.set(name, topic);
    try {
      await this.catalog.put([[`topic/${name}`, record]]);
    } catch (err) {
      this.topics.delete(name);
      throw err;
    }
    try {
      for (let p = 0; p < partitions; p++) {
        // A new topic never takes over data it did not write.
        if (io.existsSync(path.join(this.dataDir, `${name}-${p}`))) this.moveToLostAndFound(`${name}-${p}`, `a new topic '${name}' is being created`);
        topic.partitions.push(this.openPartition(name, p, configs));
      }
    } catch (err) {
      // Half made is never left behind: the topic goes again (its empty directories go to lost+found at the next start).
      for (const p of topic.partitions) await p.close();
      this.topics.delete(name);
      await this.catalog.put([[`topic/${name}`, null]]).catch(() => undefined);
      throw err instanceof LogError ? err : new StorageError(`creating topic '${name}' failed: ${(err as Error).message}`, err);
    }
    return this.info(topic);
  }

  /**
   * Deletes a topic so that it either goes entirely or stays: its partition
   * directories are first renamed to short `<topic id>-<partition>.deleted`
   * names (undone if any rename fails), then the catalog forgets the topic,
   * then the renamed directories are removed. A crash in between is finished
   * at the next start.
   */
  async deleteTopic(name: string): Promise<void> {
    const topic = this.getTopic(name);
    if (topic.internal) throw new InvalidTopicError(`'${name}' is an internal topic and cannot be deleted`);
    this.topics.delete(name);
    const renamed: [from: string, to: string][] = [];
    try {
      for (const p of topic.partitions) await p.close();
      for (const p of topic.partitions) {
        const to = path.join(this.dataDir, LogManager.deletedName(topic.record, p.partition));
        io.renameSync(p.dir, to);
        renamed.push([p.dir, to]);
      }
      fsyncDirectory(this.dataDir);
      await this.catalog.put([[`topic/${name}`, null]]);
    } catch (err) {
      for (const [from, to] of renamed.reverse()) io.renameSync(to, from);
      topic.partitions = topic.partitions.map((p) => this.openPartition(name, p.partition, topic.record.configs));
      this.topics.set(name, topic);
      throw new StorageError(`topic '${name}' was not deleted: ${(err as Error).message}`, err);
    }
    for (const [, to] of renamed) io.removeSync(to);
    // As Kafka's coordinator does: offsets of a deleted topic go too, so a new topic of that name starts clean.
    await this.offsets.deleteTopic(name);
    this.options.onTopicDeleted?.(name);
  }

  /** Kafka DeleteRecords: moves a partition's log start forward. Internal topics refuse it. */
  async deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    if (this.isInternalTopic(topic)) throw new InvalidTopicError(`cannot delete records of internal topic '${topic}'`);
    const log = this.partition(topic, partition);
    // -1 means "up to the high watermark", as in Kafka.
    return log.deleteRecordsBefore(offset === -1 ? log.highWatermark : offset);
  }

  async createPartitions(name: string, total: number): Promise<TopicInfo> {
    const topic = this.getTopic(name);
    if (topic.internal) throw new InvalidTopicError(`'${name}' is an internal topic`);
    checkPartitionCount(total, this.options.partitionsPerTopicMax ?? 1000);
    if (total <= topic.record.partitions) {
      throw new InvalidPartitionsError(`topic '${name}' has ${topic.record.partitions} partitions; the new count must be larger`);
    }
    const record = { ...topic.record, partitions: total };
    await this.catalog.put([[`topic/${name}`, record]]);
    for (let p = topic.record.partitions; p < total; p++) topic.partitions.push(this.openPartition(name, p, record.configs));
    topic.record = record;
    return this.info(topic);
  }

  /** Sets and removes config overrides of a topic (Kafka IncrementalAlterConfigs semantics). */
  async alterTopicConfig(name: string, changes: { set?: Record<string, string>; remove?: string[] }): Promise<TopicInfo> {
    const topic = this.getTopic(name);
    if (topic.internal) throw new InvalidTopicError(`'${name}' is an internal topic`);
    const configs = { ...topic.record.configs, ...validateOverrides(changes.set ?? {}) };
    for (const key of changes.remove ?? []) {
      if (!isTopicSetting(key)) throw new InvalidConfigError(`unknown topic config '${key}'`);
      delete configs[key];
    }
    const config = this.resolveConfig(configs);
    const record = { ...topic.record, configs };
    await this.catalog.put([[`topic/${name}`, record]]);
    topic.record = record;
    for (const p of topic.partitions) p.updateConfig(config);
    return this.info(topic);
  }

  /** A topic whose name is reserved but whose partitions are not all open yet (CreateTopics in progress). */
  private static incomplete(topic: Topic): boolean {
    return topic.partitions.length < topic.record.partitions;
  }

  /** The topic, once complete: no request ever observes one half made. */
  private getTopic(name: string): Topic {
    const topic = this.topics.get(name);
    if (!topic) throw new UnknownTopicError(name);
    if (LogManager.incomplete(topic)) throw new LeaderNotAvailableError(name);
    return topic;
  }

  private info(topic: Topic): TopicInfo {
    const { name, id, partitions, configs } = topic.record;
    return { name, id, partitions, configs: { ...configs }, internal: topic.internal };
  }

  /** Every config of a topic with the value in force and its source (topic override, broker default, Kafka default). */
  effectiveConfig(name: string): EffectiveSetting[] {
    return effectiveTopicConfig(this.getTopic(name).record.configs, this.options.topicDefaults);
  }

  topicNameById(id: string): string | undefined {
    for (const t of this.topics.values()) if (t.record.id === id) return t.record.name;
    return undefined;
  }

  /**
   * Reserves `count` producer ids that no earlier or later call hands out
   * again, across restarts (the next free id is kept in the metadata topic).
   */
  async allocateProducerIds(count: number): Promise<number> {
    const current = (this.catalog.get("producer-ids") as { next: number } | undefined)?.next ?? 0;
    await this.catalog.put([["producer-ids", { next: current + count }]]);
    return current;
  }

  /** The topic's id (a UUID that a recreated topic of the same name does not share). */
  describeTopicId(name: string): string {
    return this.getTopic(name).record.id;
  }

  partitionCount(name: string): number {
    return this.getTopic(name).partitions.length;
  }

  isInternalTopic(name: string): boolean {
    return this.topics.get(name)?.internal ?? false;
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    const topic = this.getTopic(name);
    return {
      ...this.info(topic),
      config: topic.partitions[0]!.topicConfig,
      partitionStates: topic.partitions.map((p) => ({
        partition: p.partition,
        logStartOffset: p.logStartOffset,
        highWatermark: p.highWatermark,
        logEndOffset: p.logEndOffset,
        sizeBytes: p.sizeBytes,
        segments: p.segmentCount,
      })),
    };
  }

  listTopics(options: { includeInternal?: boolean } = {}): TopicInfo[] {
    return [...this.topics.values()]
      .filter((t) => (options.includeInternal || !t.internal) && !LogManager.incomplete(t))
      .map((t) => this.info(t))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  partition(topic: string, partition: number): PartitionLog {
    const log = this.getTopic(topic).partitions[partition];
    if (!log) throw new UnknownTopicError(topic, partition);
    return log;
  }

  damagedBatches(): number {
    return damagedBatchCount();
  }

  /**
   * Keeps retention from deleting a segment while `hold` says so (the
   * archive: a segment not yet uploaded stays on disk, however old).
   */
  holdRetention(hold: (topic: string, partition: number, baseOffset: number) => boolean): void {
    this.retentionHold = hold;
  }

  /**
   * Rolls the active segment of a partition once it is older than `ms` (the
   * archive's archive.interval.ms), in turn with maintenance.
   */
  async rollOlderThan(topic: string, partition: number, ms: number): Promise<boolean> {
    const log = this.partition(topic, partition);
    const job = log.maintenance.then(() => log.rollIfOlderThan(ms));
    log.maintenance = job.catch(() => undefined);
    return job;
  }

  /** Every partition of the topics clients write, with its closed segments' files, oldest first (for the archive). */
  closedSegments(): ClosedSegments[] {
    const out: ClosedSegments[] = [];
    for (const t of this.topics.values()) {
      if (t.internal || LogManager.incomplete(t)) continue;
      for (const log of t.partitions) out.push(LogManager.closedSegmentsOf(t, log));
    }
    return out;
  }

  private static closedSegmentsOf(t: Topic, log: PartitionLog): ClosedSegments {
    return {
      topic: t.record.name, topicId: t.record.id, partition: log.partition, config: log.topicConfig,
      segments: log.closedSegments().map((segment) => {
        segment.ensureLoaded();
        return {
          baseOffset: segment.baseOffset, nextOffset: segment.nextOffset, size: segment.size, maxTimestamp: segment.maxTimestamp,
          files: { log: segment.logPath, index: path.join(log.dir, segmentFileName(segment.baseOffset, ".index")), timeindex: path.join(log.dir, segmentFileName(segment.baseOffset, ".timeindex")) },
        };
      }),
    };
  }

  /**
   * Runs `work` on a closed segment of a partition in turn with the
   * partition's maintenance, so compaction cannot rewrite the segment's file
   * meanwhile: `work` gets the segment as it is then (undefined when it is
   * gone, deleted by retention or emptied by compaction).
   */
  async withClosedSegment<T>(topic: string, partition: number, baseOffset: number, work: (segment: ClosedSegment | undefined) => Promise<T>): Promise<T> {
    const t = this.getTopic(topic);
    const log = this.partition(topic, partition);
    const job = log.maintenance.then(() => work(LogManager.closedSegmentsOf(t, log).segments.find((s) => s.baseOffset === baseOffset)));
    log.maintenance = job.catch(() => undefined);
    return job;
  }

  /** Partitions that refuse writes after a storage failure, with the reason. */
  partitionsRefusingWrites(): string[] {
    return this.allPartitions().filter((p) => p.writeRefusal !== undefined).map((p) => `${p.name}: ${p.writeRefusal}`);
  }

  private allPartitions(): PartitionLog[] {
    return [...this.topics.values()].flatMap((t) => t.partitions);
  }

  /** Retention, compaction and checkpoints for every partition. */
  async runMaintenance(now = Date.now()): Promise<MaintenanceReport> {
    const report: MaintenanceReport = { segmentsDeleted: 0, compacted: [] };
    for (const log of this.allPartitions()) {
      const job = log.maintenance.then(async () => {
        const config = log.topicConfig;
        if (config.cleanupPolicy !== "compact") {
          // An archived topic keeps local.retention.* on disk; retention.* then applies to the archive.
          const tiered = this.retentionHold !== undefined && config.remoteStorageEnable && config.cleanupPolicy === "delete";
          const retentionMs = tiered && config.localRetentionMs !== -2 ? config.localRetentionMs : config.retentionMs;
          const retentionBytes = tiered && config.localRetentionBytes !== -2 ? config.localRetentionBytes : config.retentionBytes;
          const bytesBefore = log.sizeBytes;
          const deleted = log.deleteSegments((segment, remaining) =>
            ((retentionMs >= 0 && segment.retentionTimestamp < now - retentionMs) ||
            (retentionBytes >= 0 && remaining - segment.size >= retentionBytes)) &&
            !(this.retentionHold?.(log.topic, log.partition, segment.baseOffset) ?? false));
          report.segmentsDeleted += deleted;
          if (deleted > 0) {
            opsLog("log").info({ partition: log.name, segments: deleted, bytes: bytesBefore - log.sizeBytes, log_start_offset: log.logStartOffset },
              `retention deleted ${deleted} segment${deleted === 1 ? "" : "s"} of ${log.name}`);
          }
        }
        if (config.cleanupPolicy !== "delete") {
          const tombstonesDue = (this.tombstoneExpiry.get(log) ?? Infinity) <= now;
          const dirty = dirtyRatio(log);
          if ((dirty > 0 && dirty >= config.minCleanableDirtyRatio) || tombstonesDue) {
            const result = await compactPartition(log, now);
            this.tombstoneExpiry.set(log, result.nextTombstoneExpiry);
            report.compacted.push({ partition: log.name, result });
            opsLog("log").info({ partition: log.name, segments: result.segmentsRewritten, records_removed: result.recordsRemoved, bytes: result.bytesBefore - result.bytesAfter },
              `compacted ${log.name}: ${result.segmentsRewritten} segment${result.segmentsRewritten === 1 ? "" : "s"} rewritten, ${result.recordsRemoved} records removed`);
          }
        }
      });
      log.maintenance = job.catch(() => undefined);
      await job;
    }
    if (!this.closed) this.writeCheckpoints();
    return report;
  }

  private writeCheckpoints(): void {
    const partitions: Checkpoints = {};
    for (const log of this.allPartitions()) partitions[log.name] = log.checkpoint();
    writeCheckpoints(this.dataDir, partitions);
  }

  /** Flushes everything, records a clean shutdown and releases the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const logs = this.allPartitions();
    await Promise.all(logs.map((l) => l.maintenance));
    await Promise.all(logs.map((l) => l.close()));
    this.writeCheckpoints();
    writeFileDurably(path.join(this.dataDir, CLEAN_SHUTDOWN_FILE), new Date().toISOString());
    this.lock.release();
  }
}
