// Where things lie in an archive, under its prefix:
//   <topic>/<partition>/<20-digit base offset>.log | .index | .timeindex
//   <topic>/<partition>/manifest.json      the partition's archived segments
//   <topic>/<partition>/manifest.previous.json   the one before it
//   _tributary/topics.json                 the topics' catalog
//   _tributary/schemas.json                the schema registry's entries

export interface ManifestSegment {
  baseOffset: number;
  nextOffset: number;
  size: number;
  maxTimestamp: number;
  /** MD5 of the .log object, base64. */
  md5: string;
  uploadedMs: number;
  /** Aborted transactions whose ABORT marker lies in the segment (from its .txnindex), for read_committed readers of the archive. */
  aborted?: { producerId: number; firstOffset: number; lastOffset: number }[];
}

/** What a partition's manifest.json holds. */
export interface Manifest {
  version: 1;
  topic: string;
  topicId: string;
  partition: number;
  segments: ManifestSegment[];
  /** Offsets below this were deleted (DeleteRecords): never served, even while their segment is archived. */
  logStartOffset?: number;
  /** Every offset below this was archived (some may have expired since). */
  archivedUpTo?: number;
}

/** Every offset below the result was archived at some time. */
export function archivedUpTo(manifest: Manifest): number {
  const last = manifest.segments[manifest.segments.length - 1];
  return Math.max(manifest.archivedUpTo ?? 0, last?.nextOffset ?? 0);
}

export const CATALOG_KEY = "_tributary/topics.json";
export const SCHEMAS_KEY = "_tributary/schemas.json";

export function manifestKey(topic: string, partition: number): string {
  return `${topic}/${partition}/manifest.json`;
}

/**
 * The manifest before the last write: written, whole, before each new one, so
 * a write torn by a crash (some S3-compatible stores keep the part of an
 * upload they got) still leaves a whole manifest to start from.
 */
export function previousManifestKey(topic: string, partition: number): string {
  return `${topic}/${partition}/manifest.previous.json`;
}

export function segmentKey(topic: string, partition: number, baseOffset: number, extension: ".log" | ".index" | ".timeindex"): string {
  return `${topic}/${partition}/${String(baseOffset).padStart(20, "0")}${extension}`;
}
