// Rebuilding a data directory from the archive alone (`tributary archive
// restore`): the topics with their configs from the catalog, the schema
// registry, and every archived segment, optionally only up to a time. The
// indexes are rebuilt by the engine's recovery, which also checks every
// batch's CRC on the way; `serve` then opens the directory as its own.

import * as fs from "node:fs";
import * as path from "node:path";
import { LogManager } from "../log/log-manager.js";
import { BASE_OFFSET, BATCH_LENGTH, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAX_TIMESTAMP, readInt64 } from "../protocol/record-batch-header.js";
import { segmentKey } from "./archive-layout.js";
import { archivedPartitions, readCatalog, readSchemas, segmentProblem } from "./archive-reader.js";
import type { ObjectStore } from "./object-store.js";

export interface RestoreOptions {
  /** Only these topics (all when undefined). */
  topics?: string[];
  /** Only records up to this time (ms since the epoch): the first batch after it ends each partition. */
  toTimeMs?: number;
  /** Told how many partitions there are, then after each, for progress. */
  onStart?: (partitions: number) => void;
  onPartition?: (topic: string, partition: number, segments: number, nextOffset: number) => void;
}

export interface RestoreReport {
  topics: number;
  partitions: number;
  segments: number;
  bytes: number;
}

/** The bytes of whole batches whose largest timestamp is at most `toTimeMs` (the first later batch and all after it go). */
function upTo(bytes: Buffer, toTimeMs: number): Buffer {
  let position = 0;
  while (position < bytes.length) {
    if (readInt64(bytes, position + MAX_TIMESTAMP) > toTimeMs) break;
    position += LOG_OVERHEAD + bytes.readInt32BE(position + BATCH_LENGTH);
  }
  return bytes.subarray(0, position);
}

/** The offset after the last batch in `bytes` (`from` when there is none). */
function nextOffsetOf(bytes: Buffer, from: number): number {
  let next = from;
  for (let position = 0; position < bytes.length; position += LOG_OVERHEAD + bytes.readInt32BE(position + BATCH_LENGTH)) {
    next = readInt64(bytes, position + BASE_OFFSET) + bytes.readInt32BE(position + LAST_OFFSET_DELTA) + 1;
  }
  return next;
}

export async function restoreDataDir(store: ObjectStore, dataDir: string, options: RestoreOptions = {}): Promise<RestoreReport> {
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) throw new Error(`data dir ${dataDir} is not empty: restore into a new or empty directory`);
  const catalog = await readCatalog(store);
  const unknown = (options.topics ?? []).filter((t) => !catalog.topics.some((c) => c.name === t));
  if (unknown.length) throw new Error(`the archive has no topic ${unknown.map((t) => `'${t}'`).join(", ")}`);
  const wanted = catalog.topics.filter((t) => !t.internal && (!options.topics || options.topics.includes(t.name)));
  // The topics and the registry first, through the engine, so the directory is its own.
  const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
  try {
    for (const t of wanted) await logs.createTopic(t.name, { partitions: t.partitions, configs: t.configs });
    const schemas = await readSchemas(store);
    if (schemas.length) await logs.schemaStore.put(schemas);
  } finally {
    await logs.close();
  }
  const report: RestoreReport = { topics: wanted.length, partitions: 0, segments: 0, bytes: 0 };
  const partitions = await archivedPartitions(store, catalog, wanted.map((t) => t.name));
  options.onStart?.(partitions.length);
  for (const { topic, partition, manifest } of partitions) {
    report.partitions++;
    if (!manifest || manifest.segments.length === 0) continue;
    const dir = path.join(dataDir, `${topic.name}-${partition}`);
    // The empty first segment the new topic got gives way to the archived ones.
    for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name));
    let nextOffset = manifest.segments[0]!.baseOffset;
    let restored = 0;
    for (const entry of manifest.segments) {
      const key = segmentKey(topic.name, partition, entry.baseOffset, ".log");
      let bytes = await store.getBytes(key);
      if (!bytes) throw new Error(`${key} is missing from the archive, though its manifest names it (run archive verify)`);
      const problem = segmentProblem(bytes, entry);
      if (problem) throw new Error(`${key}: ${problem} (run archive verify)`);
      // The log up to the time: everything before the first batch stamped after it.
      const cut = options.toTimeMs !== undefined && entry.maxTimestamp > options.toTimeMs;
      if (cut) bytes = upTo(bytes, options.toTimeMs!);
      // An empty first segment still fixes where the partition starts.
      if (bytes.length > 0 || restored === 0) {
        fs.writeFileSync(path.join(dir, `${String(entry.baseOffset).padStart(20, "0")}.log`), bytes);
        restored++;
        report.segments++;
        report.bytes += bytes.length;
      }
      nextOffset = cut ? nextOffsetOf(bytes, entry.baseOffset) : entry.nextOffset;
      if (cut) break;
    }
    options.onPartition?.(topic.name, partition, restored, nextOffset);
  }
  // No checkpoint and no clean-shutdown mark: the first open recovers every
  // segment from its first byte, checking each batch and rebuilding the indexes.
  for (const file of ["checkpoint.json", ".clean-shutdown"]) fs.rmSync(path.join(dataDir, file), { force: true });
  const recovered = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
  await recovered.close();
  return report;
}
