// Reading an archive back without a broker: its catalog, each partition's
// manifest, and a check of every object against its manifest entry and of
// every batch's CRC (`tributary archive list` and `archive verify`).

import { opsLog } from "../ops/ops-log.js";
import { createHash } from "node:crypto";
import { BATCH_LENGTH, HEADER_SIZE, LOG_OVERHEAD, BASE_OFFSET, LAST_OFFSET_DELTA, batchCrcMatches, readInt64 } from "../protocol/record-batch-header.js";
import type { KeyValueStore, TopicInfo } from "../log/store.js";
import { MemoryKeyValueStore } from "../log/memory-store.js";
import { CATALOG_KEY, SCHEMAS_KEY, manifestKey, previousManifestKey, segmentKey, type Manifest, type ManifestSegment } from "./archive-layout.js";
import type { ObjectStore } from "./object-store.js";

export interface ArchivedCatalog {
  clusterId: string;
  topics: TopicInfo[];
}

export async function readCatalog(store: ObjectStore): Promise<ArchivedCatalog> {
  const bytes = await store.getBytes(CATALOG_KEY);
  if (!bytes) throw new Error(`${store.description} holds no archive (no ${CATALOG_KEY})`);
  return JSON.parse(bytes.toString("utf8")) as ArchivedCatalog;
}

/** The archived schema registry as a store a SchemaRegistry can read. */
export async function archivedRegistry(store: ObjectStore): Promise<KeyValueStore<unknown>> {
  const entries = new MemoryKeyValueStore<unknown>();
  await entries.put(await readSchemas(store));
  return entries;
}

export async function readSchemas(store: ObjectStore): Promise<[string, unknown][]> {
  const bytes = await store.getBytes(SCHEMAS_KEY);
  return bytes ? (JSON.parse(bytes.toString("utf8")) as { entries: [string, unknown][] }).entries : [];
}

function parseManifest(bytes: Buffer): Manifest | undefined {
  try {
    const manifest = JSON.parse(bytes.toString("utf8")) as Manifest;
    return manifest && Array.isArray(manifest.segments) && typeof manifest.topicId === "string" ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A partition's manifest, or undefined when nothing of it is archived. A
 * manifest torn by a crash during its upload gives way, loudly, to the one
 * before it (the segments archived since are uploaded again).
 */
export async function readManifest(store: ObjectStore, topic: string, partition: number): Promise<Manifest | undefined> {
  const bytes = await store.getBytes(manifestKey(topic, partition));
  if (!bytes) return undefined;
  const manifest = parseManifest(bytes);
  if (manifest) return manifest;
  const previous = await store.getBytes(previousManifestKey(topic, partition));
  const fallback = previous && parseManifest(previous);
  if (!fallback) throw new Error(`the manifest of ${topic}/${partition} is damaged and no whole earlier one is left; the archive of this partition needs repair`);
  opsLog("archive").warn(`the manifest of ${topic}/${partition} is damaged (an upload torn by a crash?); using the one before it`);
  return fallback;
}

/** The archived partitions of the catalog's topics (all, or those named), with their manifests. */
export async function archivedPartitions(store: ObjectStore, catalog: ArchivedCatalog, topics?: string[]): Promise<{ topic: TopicInfo; partition: number; manifest: Manifest | undefined }[]> {
  const out = [];
  for (const topic of catalog.topics) {
    if (topics && !topics.includes(topic.name)) continue;
    for (let p = 0; p < topic.partitions; p++) out.push({ topic, partition: p, manifest: await readManifest(store, topic.name, p) });
  }
  return out;
}

/** What is wrong with one archived segment's bytes, or undefined. */
export function segmentProblem(bytes: Buffer, entry: ManifestSegment): string | undefined {
  if (bytes.length !== entry.size) return `${bytes.length} bytes, the manifest says ${entry.size}`;
  const md5 = createHash("md5").update(bytes).digest("base64");
  if (md5 !== entry.md5) return `MD5 ${md5}, the manifest says ${entry.md5}`;
  let position = 0;
  let next = entry.baseOffset;
  while (position < bytes.length) {
    if (position + HEADER_SIZE > bytes.length) return `${bytes.length - position} bytes at ${position} are too short for a batch`;
    const size = LOG_OVERHEAD + bytes.readInt32BE(position + BATCH_LENGTH);
    if (size < HEADER_SIZE || position + size > bytes.length) return `the batch at byte ${position} claims ${size} bytes`;
    if (!batchCrcMatches(bytes, position, size)) return `the batch at byte ${position} fails its CRC32C`;
    const base = readInt64(bytes, position + BASE_OFFSET);
    if (base < next) return `the batch at byte ${position} starts at offset ${base}, before ${next}`;
    next = base + bytes.readInt32BE(position + LAST_OFFSET_DELTA) + 1;
    position += size;
  }
  if (next !== entry.nextOffset) return `its batches end at offset ${next}, the manifest says ${entry.nextOffset}`;
  return undefined;
}

/** Every problem of the archive: missing objects, objects that differ from their manifest, damaged batches, gaps. */
export async function verifyArchive(store: ObjectStore, progress?: { start(total: number): void; tick(): void }): Promise<{ segments: number; bytes: number; problems: string[] }> {
  const catalog = await readCatalog(store);
  const problems: string[] = [];
  let segments = 0;
  let bytes = 0;
  const partitions = await archivedPartitions(store, catalog);
  progress?.start(partitions.reduce((n, p) => n + (p.manifest?.segments.length ?? 0), 0));
  for (const { topic, partition, manifest } of partitions) {
    if (!manifest) continue;
    if (manifest.topicId !== topic.id) problems.push(`${topic.name}/${partition}: the manifest belongs to topic id ${manifest.topicId}, the catalog says ${topic.id}`);
    // Only compaction may leave offsets out between segments; anywhere else a gap is lost data.
    const compacted = (topic.configs["cleanup.policy"] ?? "").includes("compact");
    manifest.segments.forEach((s, i) => {
      const previous = manifest.segments[i - 1];
      if (previous && (compacted ? previous.nextOffset > s.baseOffset : previous.nextOffset !== s.baseOffset)) {
        problems.push(`${topic.name}/${partition}: offsets ${previous.nextOffset} to ${s.baseOffset - 1} are missing between two archived segments`);
      }
    });
    for (const entry of manifest.segments) {
      const key = segmentKey(topic.name, partition, entry.baseOffset, ".log");
      const object = await store.getBytes(key);
      segments++;
      progress?.tick();
      if (!object) {
        problems.push(`${key}: missing, though the manifest names it`);
        continue;
      }
      bytes += object.length;
      const problem = segmentProblem(object, entry);
      if (problem) problems.push(`${key}: ${problem}`);
      for (const extension of [".index", ".timeindex"] as const) {
        if (!(await store.getBytes(segmentKey(topic.name, partition, entry.baseOffset, extension)))) problems.push(`${segmentKey(topic.name, partition, entry.baseOffset, extension)}: missing`);
      }
    }
  }
  return { segments, bytes, problems };
}
