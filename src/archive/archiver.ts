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
// backlog drains by itself. Compacted topics are not archived (their closed
// segments are rewritten), as Kafka's tiered storage does not take them.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import type { ClosedSegment, ClosedSegments, LogManager } from "../log/log-manager.js";
import type { ObjectStore } from "./object-store.js";
import { CATALOG_KEY, SCHEMAS_KEY, manifestKey, segmentKey, type Manifest, type ManifestSegment } from "./archive-layout.js";

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

interface PartitionState {
  topic: string;
  partition: number;
  manifest: Manifest | undefined;
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
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private closed = false;
  private lastCatalog = "";
  private lastRegistry = "";
  /** The store's own problem (bucket, credentials, reachability) from the last check, if any. */
  storeError: string | null = null;

  constructor(private readonly logs: LogManager, readonly store: ObjectStore, private readonly options: ArchiverOptions) {
    // An unarchived segment stays on disk whatever retention says.
    logs.holdRetention((topic, partition, baseOffset) => this.mustKeep(topic, partition, baseOffset));
  }

  /** Checks the store once (a problem is reported, not thrown: the broker runs on) and starts the periodic scan. */
  async start(): Promise<void> {
    try {
      await this.store.check();
    } catch (err) {
      this.storeError = (err as Error).message;
      console.error(`tributary archive: WARNING: ${this.storeError}; segments wait on disk until it works`);
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
    const archived = state.manifest?.segments ?? [];
    return !archived.some((s) => s.baseOffset === baseOffset);
  }

  private archives(config: ClosedSegments["config"] | undefined): boolean {
    return config !== undefined && config.remoteStorageEnable && config.cleanupPolicy === "delete";
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
      let state = this.partitions.get(key);
      if (!state) {
        state = { topic: p.topic, partition: p.partition, manifest: undefined, pending: [], lastError: null, lastUploadMs: null, failures: 0, nextAttemptMs: 0 };
        this.partitions.set(key, state);
      }
      const archived = new Set(state.manifest?.segments.map((s) => s.baseOffset));
      state.pending = p.segments.filter((s) => !archived.has(s.baseOffset) && s.size > 0);
      if (state.nextAttemptMs <= now && (state.manifest === undefined || state.pending.length > 0)) due.push([p, state]);
    }
    for (const key of this.partitions.keys()) if (!seen.has(key)) this.partitions.delete(key);
    // A few partitions at a time; one slow partition does not hold the others' turn past this scan.
    const queue = [...due];
    await Promise.all(Array.from({ length: Math.min(UPLOADS_IN_FLIGHT_MAX, queue.length) }, async () => {
      for (let next = queue.shift(); next && !this.closed; next = queue.shift()) await this.archivePartition(next[0], next[1]);
    }));
    if (!this.closed) await this.archiveCatalog().catch((err: Error) => this.reportStoreError(err));
  }

  private async archivePartition(p: ClosedSegments, state: PartitionState): Promise<void> {
    try {
      if (!state.manifest || state.manifest.topicId !== p.topicId) state.manifest = await this.loadManifest(p);
      const archived = new Set(state.manifest.segments.map((s) => s.baseOffset));
      state.pending = state.pending.filter((s) => !archived.has(s.baseOffset));
      while (state.pending.length > 0 && !this.closed) {
        const segment = state.pending[0]!;
        const entry = await this.upload(p, segment);
        state.manifest = { ...state.manifest, segments: [...state.manifest.segments, entry].sort((a, b) => a.baseOffset - b.baseOffset) };
        // After the objects: the manifest never names what is not there.
        await this.store.putBytes(manifestKey(p.topic, p.partition), Buffer.from(JSON.stringify(state.manifest)));
        state.pending.shift();
        state.lastUploadMs = Date.now();
      }
      if (state.failures > 0) console.error(`tributary archive: ${p.topic}-${p.partition} archives again after ${state.failures} failed attempt${state.failures === 1 ? "" : "s"}`);
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
        console.error(`tributary archive: ${p.topic}-${p.partition}: ${state.lastError}; ${state.pending.length} segment${state.pending.length === 1 ? "" : "s"} wait on disk, retrying in ${wait} ms`);
      }
    }
  }

  private async loadManifest(p: ClosedSegments): Promise<Manifest> {
    const bytes = await this.store.getBytes(manifestKey(p.topic, p.partition));
    const empty: Manifest = { version: 1, topic: p.topic, topicId: p.topicId, partition: p.partition, segments: [] };
    if (!bytes) return empty;
    const manifest = JSON.parse(bytes.toString("utf8")) as Manifest;
    // The archive of an earlier topic of the same name: this topic starts its own.
    return manifest.topicId === p.topicId ? manifest : empty;
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
    return { baseOffset: segment.baseOffset, nextOffset: segment.nextOffset, size: segment.size, maxTimestamp: segment.maxTimestamp, md5, uploadedMs: Date.now() };
  }

  /** The topics (names, ids, partitions, configs) and the registry, when they changed since last time. */
  private async archiveCatalog(): Promise<void> {
    const catalog = JSON.stringify({ version: 1, clusterId: this.logs.clusterId, topics: this.logs.listTopics() });
    if (catalog !== this.lastCatalog) {
      await this.store.putBytes(CATALOG_KEY, Buffer.from(catalog));
      this.lastCatalog = catalog;
    }
    const registry = JSON.stringify({ version: 1, entries: [...this.options.registryEntries()] });
    if (registry !== this.lastRegistry) {
      await this.store.putBytes(SCHEMAS_KEY, Buffer.from(registry));
      this.lastRegistry = registry;
    }
  }

  private reportStoreError(err: Error): void {
    if (this.storeError !== err.message) console.error(`tributary archive: ${err.message}`);
    this.storeError = err.message;
  }

  /** Per partition: how far it is archived and what waits. */
  status(): PartitionArchiveStatus[] {
    return [...this.partitions.values()].map((state) => {
      const m = state.manifest;
      return {
        topic: state.topic,
        partition: state.partition,
        archivedUpTo: m?.segments.length ? m.segments[m.segments.length - 1]!.nextOffset : 0,
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
