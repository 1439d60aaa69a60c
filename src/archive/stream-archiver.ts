// The archive of a log read through the store interface, for cluster mode,
// where the records live in a Kafka cluster and there are no segment files
// here to upload. Each partition is read from where its archive ends (the
// manifest in the object store says where: it is the source of truth), its
// batches are appended to a staging file in the data dir, and the staged
// chunk is uploaded as one archived segment, in the same layout as the
// embedded archive (PREFIX/<topic>/<partition>/<base offset>.log, .index,
// .timeindex, manifest.json) once it holds `chunkBytesMax` bytes or its
// oldest record has waited `chunkMs`. Then the manifest names it, and only
// then is the offset committed to the cluster in group `group` (so the
// archive's progress shows as that group's lag in any Kafka tool).
//
// Nothing acknowledged is lost and nothing is archived twice: a crash loses
// only the staging file, and the next start reads again from the manifest's
// end, which the cluster still holds (unless the cluster's own retention
// deleted it first: that gap is logged loudly and shows in the manifest).
// Only one instance in front of a cluster archives (`active`, elected
// through the cluster's group protocol); the others wait.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { opsLog } from "../ops/ops-log.js";
import type { LogStore } from "../log/store.js";
import { LogError } from "../log/errors.js";
import { KafkaErrorCode } from "../protocol/kafka-error-codes.js";
import { splitBatches } from "../protocol/record-batch-codec.js";
import { readBatchHeader } from "../protocol/record-batch-header.js";
import type { ObjectStore } from "./object-store.js";
import type { PartitionArchiveStatus } from "./archiver.js";
import { archivedUpTo, manifestKey, previousManifestKey, segmentKey, type Manifest, type ManifestSegment } from "./archive-layout.js";
import { readManifest } from "./archive-reader.js";
import { CatalogUpload } from "./catalog-upload.js";

export interface StreamArchiverOptions {
  /** Where chunks are staged before upload (emptied at start). */
  stagingDir: string;
  scanIntervalMs: number;
  retryMaxMs: number;
  /** An archived segment holds about this many bytes at most. */
  chunkBytesMax: number;
  /** A record waits this long at most before its chunk is uploaded. */
  chunkMs: number;
  /** The consumer group whose committed offsets show the archive's progress. */
  group: string;
  /** True while this instance is the one that archives. */
  active: () => boolean;
  registryEntries: () => Iterable<[string, unknown]>;
  onUploaded?: (bytes: number) => void;
}

/** Bytes of batches between two entries of a chunk's offset and time indexes (Kafka's index.interval.bytes). */
const INDEX_INTERVAL_BYTES = 4096;
const READ_BYTES = 1024 * 1024;
const RETRY_FIRST_MS = 100;

interface Chunk {
  file: string;
  baseOffset: number;
  nextOffset: number;
  size: number;
  maxTimestamp: number;
  startedMs: number;
  md5: ReturnType<typeof createHash>;
  index: Buffer[];
  timeIndex: Buffer[];
  sinceIndexEntry: number;
  lastIndexedTime: number;
}

interface PartitionState {
  topic: string;
  partition: number;
  manifest: Manifest | undefined;
  writtenManifest: Buffer | undefined;
  /** Offsets below this are read (into the chunk or the archive). */
  readUpTo: number;
  chunk: Chunk | undefined;
  lastError: string | null;
  lastUploadMs: number | null;
  failures: number;
  nextAttemptMs: number;
  highWatermark: number;
}

export class StreamArchiver {
  private readonly partitions = new Map<string, PartitionState>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private closed = false;
  private readonly catalog: CatalogUpload;
  storeError: string | null = null;

  constructor(private readonly logs: LogStore, readonly store: ObjectStore, private readonly options: StreamArchiverOptions) {
    this.catalog = new CatalogUpload(store, logs, options.registryEntries);
  }

  async start(): Promise<void> {
    fs.rmSync(this.options.stagingDir, { recursive: true, force: true });
    fs.mkdirSync(this.options.stagingDir, { recursive: true });
    try {
      await this.store.check();
    } catch (err) {
      this.storeError = (err as Error).message;
      opsLog("archive").warn(`WARNING: ${this.storeError}; records wait in the cluster until it works`);
    }
    this.timer = setInterval(() => void this.scan(), this.options.scanIntervalMs);
    this.timer.unref();
    void this.scan();
  }

  scan(): Promise<void> {
    this.scanning ??= this.scanAll().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async scanAll(): Promise<void> {
    if (!this.options.active()) {
      // Another instance archives: what was staged here is dropped, and read again if this one is elected.
      if (this.partitions.size > 0) this.forget();
      return;
    }
    const now = Date.now();
    const seen = new Set<string>();
    for (const topic of this.logs.listTopics()) {
      if (this.logs.isInternalTopic(topic.name)) continue;
      for (let partition = 0; partition < topic.partitions && !this.closed; partition++) {
        const key = `${topic.name}\u0000${partition}`;
        seen.add(key);
        let state = this.partitions.get(key);
        if (!state) {
          state = { topic: topic.name, partition, manifest: undefined, writtenManifest: undefined, readUpTo: 0, chunk: undefined, lastError: null, lastUploadMs: null, failures: 0, nextAttemptMs: 0, highWatermark: 0 };
          this.partitions.set(key, state);
        }
        if (state.nextAttemptMs <= now) await this.archivePartition(state, topic.id);
      }
    }
    for (const [key, state] of this.partitions) {
      if (seen.has(key)) continue;
      this.dropChunk(state);
      this.partitions.delete(key);
    }
    if (!this.closed) await this.catalog.upload().catch((err: Error) => this.reportStoreError(err));
  }

  private async archivePartition(state: PartitionState, topicId: string): Promise<void> {
    try {
      if (!state.manifest || state.manifest.topicId !== topicId) {
        const loaded = await readManifest(this.store, state.topic, state.partition);
        const manifest = loaded && loaded.topicId === topicId ? loaded : { version: 1 as const, topic: state.topic, topicId, partition: state.partition, segments: [] };
        state.manifest = manifest;
        state.writtenManifest = loaded && loaded.topicId === topicId ? Buffer.from(JSON.stringify(loaded)) : undefined;
        this.dropChunk(state);
        state.readUpTo = archivedUpTo(manifest);
      }
      const log = this.logs.partition(state.topic, state.partition);
      const { highWatermark, logStartOffset } = await log.offsets();
      state.highWatermark = highWatermark;
      if (state.readUpTo < logStartOffset) {
        opsLog("archive").error(`${state.topic}-${state.partition}: offsets ${state.readUpTo} to ${logStartOffset - 1} left the cluster (its retention) before they were archived; the archive goes on from ${logStartOffset}`);
        await this.upload(state);
        state.readUpTo = logStartOffset;
      }
      while (state.readUpTo < highWatermark && !this.closed) {
        const { records } = await log.read(state.readUpTo, READ_BYTES);
        const batches = splitBatches(records);
        if (batches.length === 0) break;
        for (const batch of batches) {
          const header = readBatchHeader(batch);
          const next = header.baseOffset + header.lastOffsetDelta + 1;
          if (next <= state.readUpTo) continue;
          await this.append(state, batch, header.baseOffset, next, header.maxTimestamp);
          if (state.chunk!.size >= this.options.chunkBytesMax) await this.upload(state);
        }
      }
      if (state.chunk && Date.now() - state.chunk.startedMs >= this.options.chunkMs) await this.upload(state);
      if (state.failures > 0) opsLog("archive").info(`${state.topic}-${state.partition} archives again after ${state.failures} failed attempt${state.failures === 1 ? "" : "s"}`);
      state.failures = 0;
      state.lastError = null;
      this.storeError = null;
    } catch (err) {
      state.failures++;
      state.lastError = (err as Error).message;
      const wait = Math.min(this.options.retryMaxMs, RETRY_FIRST_MS * 2 ** Math.min(state.failures, 20));
      state.nextAttemptMs = Date.now() + wait;
      if (err instanceof LogError && err.kafkaErrorCode === KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return;
      if (state.failures === 1 || state.failures % 20 === 0) {
        opsLog("archive").warn(`${state.topic}-${state.partition}: ${state.lastError}; the records wait in the cluster, retrying in ${wait} ms`);
      }
    }
  }

  /** Appends one whole batch to the partition's staged chunk, with its index entries. */
  private async append(state: PartitionState, batch: Buffer, baseOffset: number, nextOffset: number, maxTimestamp: number): Promise<void> {
    let chunk = state.chunk;
    if (!chunk) {
      chunk = state.chunk = {
        file: path.join(this.options.stagingDir, `${state.topic}-${state.partition}-${baseOffset}.log`),
        baseOffset, nextOffset: baseOffset, size: 0, maxTimestamp: -1, startedMs: Date.now(), md5: createHash("md5"),
        index: [], timeIndex: [], sinceIndexEntry: INDEX_INTERVAL_BYTES, lastIndexedTime: -1,
      };
      fs.writeFileSync(chunk.file, Buffer.alloc(0));
    }
    if (chunk.sinceIndexEntry >= INDEX_INTERVAL_BYTES) {
      const entry = Buffer.alloc(8);
      entry.writeInt32BE(baseOffset - chunk.baseOffset, 0);
      entry.writeInt32BE(chunk.size, 4);
      chunk.index.push(entry);
      if (maxTimestamp > chunk.lastIndexedTime) {
        const time = Buffer.alloc(12);
        time.writeBigInt64BE(BigInt(maxTimestamp), 0);
        time.writeInt32BE(nextOffset - 1 - chunk.baseOffset, 8);
        chunk.timeIndex.push(time);
        chunk.lastIndexedTime = maxTimestamp;
      }
      chunk.sinceIndexEntry = 0;
    }
    await fs.promises.appendFile(chunk.file, batch);
    chunk.md5.update(batch);
    chunk.size += batch.length;
    chunk.sinceIndexEntry += batch.length;
    chunk.nextOffset = nextOffset;
    chunk.maxTimestamp = Math.max(chunk.maxTimestamp, maxTimestamp);
    state.readUpTo = nextOffset;
  }

  /** Uploads the staged chunk (indexes first, then the batches), names it in the manifest, then commits its end to the group. */
  private async upload(state: PartitionState): Promise<void> {
    const chunk = state.chunk;
    if (!chunk || chunk.size === 0 || !state.manifest) return;
    const { topic, partition } = state;
    await this.store.putBytes(segmentKey(topic, partition, chunk.baseOffset, ".index"), Buffer.concat(chunk.index));
    await this.store.putBytes(segmentKey(topic, partition, chunk.baseOffset, ".timeindex"), Buffer.concat(chunk.timeIndex));
    const md5 = chunk.md5.copy().digest("base64");
    await this.store.putFile(segmentKey(topic, partition, chunk.baseOffset, ".log"), chunk.file, chunk.size, md5);
    this.options.onUploaded?.(chunk.size);
    const entry: ManifestSegment = { baseOffset: chunk.baseOffset, nextOffset: chunk.nextOffset, size: chunk.size, maxTimestamp: chunk.maxTimestamp, md5, uploadedMs: Date.now() };
    const next: Manifest = { ...state.manifest, segments: [...state.manifest.segments, entry], archivedUpTo: chunk.nextOffset };
    // The manifest names only what is there; the one it replaces is kept whole as the fallback.
    const bytes = Buffer.from(JSON.stringify(next));
    if (state.writtenManifest) await this.store.putBytes(previousManifestKey(topic, partition), state.writtenManifest);
    await this.store.putBytes(manifestKey(topic, partition), bytes);
    state.writtenManifest = bytes;
    state.manifest = next;
    state.lastUploadMs = Date.now();
    this.dropChunk(state);
    // For the operators' tools: the archive's position, as a consumer group's committed offset.
    await this.logs.offsets.commit(this.options.group, [{ topic, partition, offset: entry.nextOffset, leaderEpoch: -1, metadata: `archived to ${this.store.description}` }])
      .catch((err: Error) => opsLog("archive").warn(`${topic}-${partition}: archived up to ${entry.nextOffset}, but committing it to group ${this.options.group} failed: ${err.message}`));
  }

  private dropChunk(state: PartitionState): void {
    if (state.chunk) fs.rmSync(state.chunk.file, { force: true });
    state.chunk = undefined;
    state.readUpTo = state.manifest ? archivedUpTo(state.manifest) : 0;
  }

  /** Not the archiver (any more): staged chunks are dropped, manifests read again when elected. */
  private forget(): void {
    for (const state of this.partitions.values()) this.dropChunk(state);
    this.partitions.clear();
  }

  private reportStoreError(err: Error): void {
    if (this.storeError !== err.message) opsLog("archive").warn(err.message);
    this.storeError = err.message;
  }

  /** Per partition: how far it is archived and what waits (staged here, or still only in the cluster). */
  status(): PartitionArchiveStatus[] {
    return [...this.partitions.values()].map((state) => {
      const upTo = state.manifest ? archivedUpTo(state.manifest) : 0;
      return {
        topic: state.topic,
        partition: state.partition,
        archivedUpTo: upTo,
        archivedSegments: state.manifest?.segments.length ?? 0,
        pendingSegments: state.chunk ? 1 : 0,
        pendingBytes: state.chunk?.size ?? 0,
        lastError: state.lastError,
        lastUploadMs: state.lastUploadMs,
      };
    }).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.scanning;
    this.forget();
  }
}
