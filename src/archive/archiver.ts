// Archives every closed segment of every topic clients write to an object
// store, with its offset and time indexes, under
// PREFIX/<topic>/<partition>/<20-digit base offset>.log (.index, .timeindex).
// Each partition keeps a manifest (manifest.json beside its segments) naming
// every archived segment with its offsets, largest timestamp, size and MD5;
// the manifest is written only after the objects it names exist, so a crash
// in between leaves an object nobody lists (uploaded again), never a listed
// object that is missing. The topics' catalog and the schema registry are
// archived too (PREFIX/_tributary/), so a restore needs nothing else.
//
// While the store fails, segments wait on disk (retention does not delete an
// unarchived segment), each partition retries with backoff, and the backlog
// shows in GET /archive, the metrics and the log; when the store is back the
// backlog drains by itself. A compacted topic's segments are archived as they
// are when uploaded (in turn with compaction); compaction rewrites the local
// copy later, and the archive keeps the earlier one: every record a reader of
// the archive finds is one the log held.

import { opsLog } from "../ops/ops-log.js";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { readTxnIndex } from "../log/txn-index-file.js";
import type { ClosedSegment, ClosedSegments, LogManager } from "../log/log-manager.js";
import type { ObjectStore } from "./object-store.js";
import { archivedUpTo, manifestKey, previousManifestKey, segmentKey, type Manifest, type ManifestSegment } from "./archive-layout.js";
import { readManifest } from "./archive-reader.js";
import { CatalogUpload } from "./catalog-upload.js";

/** One partition's archive, as GET /archive reports it. */
export interface PartitionArchiveStatus {
  topic: string;
  partition: number;
  /** Every offset below this is archived. */
  archivedUpTo: number;
  archivedSegments: number;
  pendingSegments: number;
  pendingBytes: number;
  lastError: string | null;
  lastUploadMs: number | null;
}

/** What GET /archive and the metrics read of an archive, whichever archiver keeps it. */
export interface ArchiveStatusView {
  readonly store: { readonly description: string };
  readonly storeError: string | null;
  status(): PartitionArchiveStatus[];
}

interface PartitionState {
  topic: string;
  partition: number;
  manifest: Manifest | undefined;
  /** The manifest changed (a new floor) and is not yet written. */
  manifestDirty: boolean;
  /** The bytes of the manifest last written whole (or loaded): the fallback the next write leaves behind. */
  writtenManifest: Buffer | undefined;
  pending: ClosedSegment[];
  lastError: string | null;
  lastUploadMs: number | null;
  failures: number;
  nextAttemptMs: number;
}

export interface ArchiverOptions {
  scanIntervalMs: number;
  retryMaxMs: number;
  /** The registry's store, archived as it is (the `_schemas` topic's keys and values). */
  registryEntries: () => Iterable<[string, unknown]>;
  /** Told of every byte uploaded, for metrics. */
  onUploaded?: (bytes: number) => void;
}

const RETRY_FIRST_MS = 100;
/** Partitions uploading at once. */
const UPLOADS_IN_FLIGHT_MAX = 4;

function md5Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("md5");
    fs.createReadStream(file).on("data", (chunk) => hash.update(chunk)).on("error", reject).on("end", () => resolve(hash.digest("base64")));
  });
}

export class Archiver {
  private readonly partitions = new Map<string, PartitionState>();
  /** Log starts DeleteRecords set, per partition, until their manifests hold them. */
  private readonly floors = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private closed = false;
  private readonly catalog: CatalogUpload;
  /** The store's own problem (bucket, credentials, reachability) from the last check, if any. */
  storeError: string | null = null;

  constructor(private readonly logs: LogManager, readonly store: ObjectStore, private readonly options: ArchiverOptions) {
    this.catalog = new CatalogUpload(store, logs, options.registryEntries);
    // An unarchived segment stays on disk whatever retention says.
    logs.holdRetention((topic, partition, baseOffset) => this.mustKeep(topic, partition, baseOffset));
  }

  /** Checks the store once (a problem is reported, not thrown: the broker runs on) and starts the periodic scan. */
  async start(): Promise<void> {
    try {
      await this.store.check();
    } catch (err) {
      this.storeError = (err as Error).message;
      opsLog("archive").warn(`WARNING: ${this.storeError}; segments wait on disk until it works`);
    }
    this.timer = setInterval(() => void this.scan(), this.options.scanIntervalMs);
    this.timer.unref();
    void this.scan();
  }

  private static key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  /** True while a segment of an archived topic is not yet in its manifest. */
  private mustKeep(topic: string, partition: number, baseOffset: number): boolean {
    const state = this.partitions.get(Archiver.key(topic, partition));
    // Not scanned yet: kept if its topic is archived at all.
    if (!state) return this.archives(this.logs.partition(topic, partition).topicConfig);
    // Below what was ever archived: archived (or expired from the archive since); at or above: not yet.
    return state.manifest === undefined || baseOffset >= archivedUpTo(state.manifest);
  }

  private archives(config: ClosedSegments["config"] | undefined): boolean {
    return config !== undefined && config.remoteStorageEnable;
  }

  /** One pass over every partition: uploads what is due, then the catalog and the registry. Scans never overlap. */
  scan(): Promise<void> {
    this.scanning ??= this.scanAll().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async scanAll(): Promise<void> {
    const now = Date.now();
    const due: [ClosedSegments, PartitionState][] = [];
    const seen = new Set<string>();
    for (const p of this.logs.closedSegments()) {
      const key = Archiver.key(p.topic, p.partition);
      seen.add(key);
      if (!this.archives(p.config) || p.config.remoteLogCopyDisable) {
        this.partitions.delete(key);
        continue;
      }
      // archive.interval.ms: an active segment that old is closed now, so the archive lags by about that at most.
      if (p.config.archiveIntervalMs >= 0 && await this.logs.rollOlderThan(p.topic, p.partition, p.config.archiveIntervalMs).catch(() => false)) {
        p.segments = this.logs.closedSegments().find((c) => c.topic === p.topic && c.partition === p.partition)?.segments ?? p.segments;
      }
      let state = this.partitions.get(key);
      if (!state) {
        state = { topic: p.topic, partition: p.partition, manifest: undefined, manifestDirty: false, writtenManifest: undefined, pending: [], lastError: null, lastUploadMs: null, failures: 0, nextAttemptMs: 0 };
        this.partitions.set(key, state);
      }
      const upTo = state.manifest ? archivedUpTo(state.manifest) : 0;
      state.pending = p.segments.filter((s) => s.baseOffset >= upTo && s.size > 0);
      const expiring = state.manifest !== undefined && this.expired(state.manifest, p.config, now).length > 0;
      if (state.nextAttemptMs <= now && (state.manifest === undefined || state.pending.length > 0 || state.manifestDirty || expiring)) due.push([p, state]);
    }
    for (const key of this.partitions.keys()) if (!seen.has(key)) this.partitions.delete(key);
    // A few partitions at a time; one slow partition does not hold the others' turn past this scan.
    const queue = [...due];
    await Promise.all(Array.from({ length: Math.min(UPLOADS_IN_FLIGHT_MAX, queue.length) }, async () => {
      for (let next = queue.shift(); next && !this.closed; next = queue.shift()) await this.archivePartition(next[0], next[1]);
    }));
    if (!this.closed) await this.catalog.upload().catch((err: Error) => this.reportStoreError(err));
  }

  private async archivePartition(p: ClosedSegments, state: PartitionState): Promise<void> {
    try {
      if (!state.manifest || state.manifest.topicId !== p.topicId) {
        const loaded = await this.loadManifest(p);
        state.writtenManifest = loaded.segments.length ? Buffer.from(JSON.stringify(loaded)) : undefined;
        state.manifest = this.applyFloor(state, loaded);
      }
      const upTo = archivedUpTo(state.manifest);
      state.pending = state.pending.filter((s) => s.baseOffset >= upTo);
      while (state.pending.length > 0 && !this.closed) {
        const segment = state.pending[0]!;
        // In turn with compaction and retention: the file is uploaded as it is then, and described from it.
        const entry = await this.logs.withClosedSegment(p.topic, p.partition, segment.baseOffset, (current) => (current && current.size > 0 ? this.upload(p, current) : Promise.resolve(undefined)));
        if (!entry) {
          // Gone meanwhile (retention) or emptied (compaction): nothing to archive.
          state.pending.shift();
          continue;
        }
        const segments: ManifestSegment[] = [...state.manifest.segments, entry].sort((a, b) => a.baseOffset - b.baseOffset);
        const next: Manifest = { ...state.manifest, segments, archivedUpTo: Math.max(archivedUpTo(state.manifest), entry.nextOffset) };
        // After the objects: the manifest never names what is not there. And only once it is
        // written does the segment count as archived (retention may then delete its local copy).
        await this.writeManifest(state, next);
        state.manifest = next;
        state.pending.shift();
        state.lastUploadMs = Date.now();
      }
      await this.expire(p, state);
      if (state.failures > 0) opsLog("archive").info(`${p.topic}-${p.partition} archives again after ${state.failures} failed attempt${state.failures === 1 ? "" : "s"}`);
      state.failures = 0;
      state.lastError = null;
      this.storeError = null;
    } catch (err) {
      state.failures++;
      state.lastError = (err as Error).message;
      const wait = Math.min(this.options.retryMaxMs, RETRY_FIRST_MS * 2 ** Math.min(state.failures, 20));
      state.nextAttemptMs = Date.now() + wait;
      // Loud on the first failure and then now and again, not on every retry.
      if (state.failures === 1 || state.failures % 20 === 0) {
        opsLog("archive").warn(`${p.topic}-${p.partition}: ${state.lastError}; ${state.pending.length} segment${state.pending.length === 1 ? "" : "s"} wait on disk, retrying in ${wait} ms`);
      }
    }
  }

  /**
   * Archived segments past the topic's retention (retention.ms by their
   * largest timestamp, retention.bytes by the archive's size) or wholly below
   * the floor DeleteRecords set: never served again, then deleted.
   */
  private expired(manifest: Manifest, config: ClosedSegments["config"], now: number): ManifestSegment[] {
    const out: ManifestSegment[] = [];
    let remaining = manifest.segments.reduce((n, s) => n + s.size, 0);
    // A compacted topic keeps everything by time and size (as Kafka's compact policy does); compact,delete does not.
    const deletes = config.cleanupPolicy !== "compact";
    for (const s of manifest.segments) {
      const time = s.maxTimestamp >= 0 ? s.maxTimestamp : s.uploadedMs;
      const old = deletes && config.retentionMs >= 0 && time < now - config.retentionMs;
      const big = deletes && config.retentionBytes >= 0 && remaining - s.size >= config.retentionBytes;
      const deleted = s.nextOffset <= (manifest.logStartOffset ?? 0);
      if (!old && !big && !deleted) break;
      out.push(s);
      remaining -= s.size;
    }
    return out;
  }

  /** Drops expired segments: the manifest first (no reader is sent to them), then their objects. */
  private async expire(p: ClosedSegments, state: PartitionState): Promise<void> {
    const manifest = state.manifest!;
    const doomed = this.expired(manifest, p.config, Date.now());
    if (doomed.length === 0 && !state.manifestDirty) return;
    const next = { ...manifest, segments: manifest.segments.slice(doomed.length) };
    await this.writeManifest(state, next);
    state.manifest = next;
    state.manifestDirty = false;
    for (const s of doomed) {
      await this.store.delete((([".log", ".index", ".timeindex"] as const).map((e) => segmentKey(p.topic, p.partition, s.baseOffset, e))));
    }
  }

  /** The partition's manifest as last written or loaded (undefined before the first scan reached it). */
  manifestOf(topic: string, partition: number): Manifest | undefined {
    return this.partitions.get(Archiver.key(topic, partition))?.manifest;
  }

  /**
   * The archived offsets a reader may still get: after DeleteRecords' floor
   * and the topic's retention. Undefined when there are none.
   */
  readableRange(topic: string, partition: number, config: ClosedSegments["config"], now = Date.now()): { start: number; end: number } | undefined {
    const manifest = this.manifestOf(topic, partition);
    if (!manifest || manifest.segments.length === 0) return undefined;
    const live = manifest.segments.slice(this.expired(manifest, config, now).length);
    if (live.length === 0) return undefined;
    const floor = Math.max(manifest.logStartOffset ?? 0, this.floors.get(Archiver.key(topic, partition)) ?? 0);
    return { start: Math.max(live[0]!.baseOffset, floor), end: live[live.length - 1]!.nextOffset };
  }

  /** DeleteRecords moved the log start to `offset`: the archive serves nothing below it (written at the next scan). */
  setFloor(topic: string, partition: number, offset: number): void {
    const key = Archiver.key(topic, partition);
    this.floors.set(key, Math.max(this.floors.get(key) ?? 0, offset));
    const state = this.partitions.get(key);
    if (state?.manifest) this.applyFloor(state, state.manifest);
  }

  /** Puts a floor set before the manifest was loaded (or since it was written) into it. */
  private applyFloor(state: PartitionState, manifest: Manifest): Manifest {
    const floor = this.floors.get(Archiver.key(state.topic, state.partition)) ?? 0;
    if ((manifest.logStartOffset ?? 0) >= floor) return manifest;
    state.manifestDirty = true;
    state.manifest = { ...manifest, logStartOffset: floor };
    return state.manifest;
  }

  private async loadManifest(p: ClosedSegments): Promise<Manifest> {
    const manifest = await readManifest(this.store, p.topic, p.partition);
    const empty: Manifest = { version: 1, topic: p.topic, topicId: p.topicId, partition: p.partition, segments: [] };
    // The archive of an earlier topic of the same name: this topic starts its own.
    return manifest && manifest.topicId === p.topicId ? manifest : empty;
  }

  /** Writes a partition's manifest: the one it replaces first, whole, as the fallback (see previousManifestKey). */
  private async writeManifest(state: PartitionState, manifest: Manifest): Promise<void> {
    const bytes = Buffer.from(JSON.stringify(manifest));
    if (state.writtenManifest) await this.store.putBytes(previousManifestKey(state.topic, state.partition), state.writtenManifest);
    await this.store.putBytes(manifestKey(state.topic, state.partition), bytes);
    state.writtenManifest = bytes;
  }

  private async upload(p: ClosedSegments, segment: ClosedSegment): Promise<ManifestSegment> {
    const md5 = await md5Of(segment.files.log);
    // The indexes first: a .log in the archive always has its indexes beside it.
    for (const extension of [".index", ".timeindex"] as const) {
      const file = extension === ".index" ? segment.files.index : segment.files.timeindex;
      const bytes = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
      await this.store.putBytes(segmentKey(p.topic, p.partition, segment.baseOffset, extension), bytes);
    }
    await this.store.putFile(segmentKey(p.topic, p.partition, segment.baseOffset, ".log"), segment.files.log, segment.size, md5);
    this.options.onUploaded?.(segment.size);
    // The segment's aborted transactions go into the manifest: read_committed reads of the archive need them once the local copy is gone.
    const aborted = readTxnIndex(path.dirname(segment.files.log), segment.baseOffset) ?? [];
    return { baseOffset: segment.baseOffset, nextOffset: segment.nextOffset, size: segment.size, maxTimestamp: segment.maxTimestamp, md5, uploadedMs: Date.now(), ...(aborted.length ? { aborted } : {}) };
  }

  private reportStoreError(err: Error): void {
    if (this.storeError !== err.message) opsLog("archive").warn(err.message);
    this.storeError = err.message;
  }

  /** Per partition: how far it is archived and what waits. */
  status(): PartitionArchiveStatus[] {
    return [...this.partitions.values()].map((state) => {
      const m = state.manifest;
      return {
        topic: state.topic,
        partition: state.partition,
        archivedUpTo: m ? archivedUpTo(m) : 0,
        archivedSegments: m?.segments.length ?? 0,
        pendingSegments: state.pending.length,
        pendingBytes: state.pending.reduce((n, s) => n + s.size, 0),
        lastError: state.lastError,
        lastUploadMs: state.lastUploadMs,
      };
    }).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  /** Stops scanning; an upload in flight finishes first. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.scanning;
  }
}
