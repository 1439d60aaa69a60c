// Where things lie in an archive, under its prefix:
//   <topic>/<partition>/<20-digit base offset>.log | .index | .timeindex
//   <topic>/<partition>/manifest.json      the partition's archived segments
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
}

/** What a partition's manifest.json holds. */
export interface Manifest {
  version: 1;
  topic: string;
  topicId: string;
  partition: number;
  segments: ManifestSegment[];
}

export const CATALOG_KEY = "_tributary/topics.json";
export const SCHEMAS_KEY = "_tributary/schemas.json";

export function manifestKey(topic: string, partition: number): string {
  return `${topic}/${partition}/manifest.json`;
}

export function segmentKey(topic: string, partition: number, baseOffset: number, extension: ".log" | ".index" | ".timeindex"): string {
  return `${topic}/${partition}/${String(baseOffset).padStart(20, "0")}${extension}`;
}
