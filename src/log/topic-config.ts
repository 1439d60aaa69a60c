// Per-topic settings, with Kafka's names, defaults and types, so Kafka admin
// tools can read and set them. Overrides are stored as strings (as Kafka's
// DescribeConfigs carries them) and parsed into a typed view with limits.
// Every topic config Kafka 3.9 knows is accepted; those that change what one
// broker does are honoured (`field` below), the replication-only and
// deprecated ones are checked, stored and reported as Kafka would.

import { InvalidConfigError } from "./errors.js";

export type CleanupPolicy = "delete" | "compact" | "compact,delete";
/** `always`: ack after fdatasync. A number: ack after write, fdatasync every that many ms. */
export type FlushPolicy = "always" | number;
export type CompressionType = "producer" | "uncompressed" | "gzip" | "snappy" | "lz4" | "zstd";

export interface TopicConfig {
  cleanupPolicy: CleanupPolicy;
  retentionMs: number;
  retentionBytes: number;
  segmentBytes: number;
  segmentMs: number;
  maxMessageBytes: number;
  logAppendTime: boolean;
  /** "producer": keep the producer's codec; otherwise batches are recompressed to this codec on write. */
  compressionType: CompressionType;
  /** CreateTime records older than now minus this are refused (INVALID_TIMESTAMP). */
  timestampBeforeMaxMs: number;
  /** CreateTime records newer than now plus this are refused (INVALID_TIMESTAMP). */
  timestampAfterMaxMs: number;
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
  indexIntervalBytes: number;
  flush: FlushPolicy;
  schemaInvalidPolicy: "reject" | "dead-letter";
  /** Closed segments are archived (with `--archive`, the broker default is true). */
  remoteStorageEnable: boolean;
  /** Archiving of new segments is paused. */
  remoteLogCopyDisable: boolean;
  /** With an archive, roll the active segment once it is this old (-1: off). */
  archiveIntervalMs: number;
  /** With an archive, how long / how many bytes stay on local disk (-2: retention.ms / retention.bytes). */
  localRetentionMs: number;
  localRetentionBytes: number;
  /** The topic is loaded into the SQLite warehouse. */
  warehouseEnable: boolean;
  /** Warehouse rows older than this are deleted (-1: kept whatever the log's retention). */
  warehouseRetentionMs: number;
}

/** Kafka's ConfigType, as DescribeConfigs v3+ reports it. */
export type ConfigType = "BOOLEAN" | "STRING" | "INT" | "LONG" | "DOUBLE" | "LIST";

export interface Setting {
  key: string;
  default: string;
  doc: string;
  type: ConfigType;
  parse(value: string, key: string): unknown;
  /** The typed field it sets; absent for configs stored and reported only. */
  field?: keyof TopicConfig;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const INT_MAX = 2 ** 31 - 1;
const LONG_MAX = "9223372036854775807";

function integer(min: number, max: number) {
  return (value: string, key: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidConfigError(`${key}=${value} is not an integer`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidConfigError(`${key}=${value} is outside [${min}, ${max}]`);
    return n;
  };
}

/** A Kafka LONG: up to 2^63-1, which stands for "no limit" (kept as a number near 9.2e18). */
function long(min: number) {
  return (value: string, key: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidConfigError(`${key}=${value} is not an integer`);
    const n = BigInt(value.trim());
    if (n < BigInt(min) || n > BigInt(LONG_MAX)) throw new InvalidConfigError(`${key}=${value} is outside [${min}, ${LONG_MAX}]`);
    return Number(n);
  };
}

function oneOf<T extends string>(...values: T[]) {
  return (value: string, key: string): T => {
    const v = value.trim().replace(/\s+/g, "") as T;
    if (v === ("delete,compact" as T) && values.includes("compact,delete" as T)) return "compact,delete" as T;
    if (!values.includes(v)) throw new InvalidConfigError(`${key}=${value} must be one of ${values.join(" | ")}`);
    return v;
  };
}

function unlimited(min: number) {
  const parse = long(-1);
  return (value: string, key: string): number => {
    const n = parse(value, key);
    if (n !== -1 && n < min) throw new InvalidConfigError(`${key}=${value} must be -1 (unlimited) or at least ${min}`);
    return n;
  };
}

function boolean(value: string, key: string): boolean {
  const v = value.trim().toLowerCase();
  if (v !== "true" && v !== "false") throw new InvalidConfigError(`${key}=${value} must be true or false`);
  return v === "true";
}

function ratio(value: string, key: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidConfigError(`${key}=${value} must be a number in [0, 1]`);
  return n;
}

/** Throttled-replica lists: empty, `*`, or `partition:broker` pairs. */
function replicaList(value: string, key: string): string {
  const v = value.trim();
  if (v === "" || v === "*" || v.split(",").every((pair) => /^\s*\d+\s*:\s*\d+\s*$/.test(pair))) return v;
  throw new InvalidConfigError(`${key}=${value} must be empty, * or a list of partition:broker pairs`);
}

/** The inter-broker message format versions Kafka 3.x still accepts (and ignores) for message.format.version. */
function formatVersion(value: string, key: string): string {
  if (/^(0\.(8\.[0-2]|9\.0|10\.[0-2]|11\.0)|[123]\.\d+)(\.\d+)?(-IV\d+)?$/.test(value.trim())) return value.trim();
  throw new InvalidConfigError(`${key}=${value} is not a Kafka message format version (e.g. 3.0-IV1)`);
}

const COMPRESSION_TYPES: CompressionType[] = ["producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"];

export const TOPIC_SETTINGS: readonly Setting[] = [
  { key: "cleanup.policy", field: "cleanupPolicy", type: "LIST", default: "delete", parse: oneOf("delete", "compact", "compact,delete"),
    doc: "delete: drop old segments by retention; compact: keep the latest record per key" },
  { key: "compression.gzip.level", type: "INT", default: "-1", parse: integer(-1, 9),
    doc: "gzip level when compression.type=gzip (accepted; the broker recompresses at its default level)" },
  { key: "compression.lz4.level", type: "INT", default: "9", parse: integer(1, 17),
    doc: "lz4 level when compression.type=lz4 (accepted; the broker recompresses at its default level)" },
  { key: "compression.type", field: "compressionType", type: "STRING", default: "producer", parse: oneOf(...COMPRESSION_TYPES),
    doc: "producer: store batches as the producer compressed them; uncompressed, gzip, snappy, lz4, zstd: recompress every batch to this codec on write" },
  { key: "compression.zstd.level", type: "INT", default: "3", parse: integer(-131072, 22),
    doc: "zstd level when compression.type=zstd (accepted; the broker recompresses at level 3)" },
  { key: "delete.retention.ms", field: "deleteRetentionMs", type: "LONG", default: String(DAY_MS), parse: long(0),
    doc: "on compacted topics, how long a tombstone (null value) is kept after its timestamp" },
  { key: "file.delete.delay.ms", type: "LONG", default: "60000", parse: long(0),
    doc: "accepted and reported; segments are deleted at once" },
  { key: "flush", field: "flush", type: "STRING", default: "always",
    parse: (v, k) => (v.trim() === "always" ? "always" : integer(1, 24 * 60 * 60 * 1000)(v, k)),
    doc: "always: acknowledge an append only after fdatasync (group commit); N: acknowledge after the write and fdatasync every N ms, so up to N ms of acknowledged records can be lost if the machine (not the process) fails" },
  { key: "flush.messages", type: "LONG", default: LONG_MAX, parse: long(1),
    doc: "accepted and reported; durability is set by the flush config" },
  { key: "flush.ms", type: "LONG", default: LONG_MAX, parse: long(0),
    doc: "accepted and reported; durability is set by the flush config" },
  { key: "follower.replication.throttled.replicas", type: "LIST", default: "", parse: replicaList,
    doc: "replication only: stored and reported" },
  { key: "index.interval.bytes", field: "indexIntervalBytes", type: "INT", default: "4096", parse: integer(0, 2 ** 30),
    doc: "bytes of log between two offset-index entries" },
  { key: "leader.replication.throttled.replicas", type: "LIST", default: "", parse: replicaList,
    doc: "replication only: stored and reported" },
  { key: "local.retention.bytes", field: "localRetentionBytes", type: "LONG", default: "-2", parse: long(-2),
    doc: "tiered storage: bytes kept on local disk (-2: retention.bytes)" },
  { key: "local.retention.ms", field: "localRetentionMs", type: "LONG", default: "-2", parse: long(-2),
    doc: "tiered storage: time kept on local disk (-2: retention.ms)" },
  { key: "max.compaction.lag.ms", type: "LONG", default: LONG_MAX, parse: long(1),
    doc: "accepted and reported; compaction runs by min.cleanable.dirty.ratio" },
  { key: "max.message.bytes", field: "maxMessageBytes", type: "INT", default: String(1024 * 1024 + 12), parse: integer(64, 2 ** 30),
    doc: "largest record batch accepted, in bytes (MESSAGE_TOO_LARGE past it)" },
  { key: "message.downconversion.enable", type: "BOOLEAN", default: "true", parse: boolean,
    doc: "accepted and reported (deprecated in Kafka)" },
  { key: "message.format.version", type: "STRING", default: "3.0-IV1", parse: formatVersion,
    doc: "deprecated in Kafka 3.x: accepted and ignored (record batches are always format v2)" },
  { key: "message.timestamp.after.max.ms", field: "timestampAfterMaxMs", type: "LONG", default: LONG_MAX, parse: long(0),
    doc: "with CreateTime, refuse a record whose timestamp is more than this ahead of the broker's clock (INVALID_TIMESTAMP)" },
  { key: "message.timestamp.before.max.ms", field: "timestampBeforeMaxMs", type: "LONG", default: LONG_MAX, parse: long(0),
    doc: "with CreateTime, refuse a record whose timestamp is more than this behind the broker's clock (INVALID_TIMESTAMP)" },
  { key: "message.timestamp.difference.max.ms", type: "LONG", default: LONG_MAX, parse: long(0),
    doc: "deprecated: both before and after limits, where those are not set" },
  { key: "message.timestamp.type", field: "logAppendTime", type: "STRING", default: "CreateTime",
    parse: (v, k) => oneOf("CreateTime", "LogAppendTime")(v, k) === "LogAppendTime",
    doc: "CreateTime keeps the producer's timestamps; LogAppendTime stamps batches with the broker's clock" },
  { key: "min.cleanable.dirty.ratio", field: "minCleanableDirtyRatio", type: "DOUBLE", default: "0.5", parse: ratio,
    doc: "compact once this share of the closed log has not been compacted yet" },
  { key: "min.compaction.lag.ms", type: "LONG", default: "0", parse: long(0),
    doc: "accepted and reported; compaction runs by min.cleanable.dirty.ratio" },
  { key: "min.insync.replicas", type: "INT", default: "1", parse: integer(1, INT_MAX),
    doc: "replication only: stored and reported (one broker is the whole in-sync set)" },
  { key: "preallocate", type: "BOOLEAN", default: "false", parse: boolean,
    doc: "accepted and reported; segments are not preallocated" },
  { key: "remote.log.copy.disable", type: "BOOLEAN", default: "false", parse: boolean, field: "remoteLogCopyDisable",
    doc: "tiered storage: stop copying segments to remote storage" },
  { key: "remote.log.delete.on.disable", type: "BOOLEAN", default: "false", parse: boolean,
    doc: "tiered storage: delete remote segments when remote storage is turned off" },
  { key: "remote.storage.enable", type: "BOOLEAN", default: "false", parse: boolean, field: "remoteStorageEnable",
    doc: "tiered storage: copy closed segments to remote storage" },
  { key: "retention.bytes", field: "retentionBytes", type: "LONG", default: "-1", parse: unlimited(0),
    doc: "delete the oldest closed segments while a partition is larger than this (-1: no limit)" },
  { key: "retention.ms", field: "retentionMs", type: "LONG", default: String(7 * DAY_MS), parse: unlimited(1),
    doc: "delete closed segments whose newest record is older than this (-1: keep forever)" },
  { key: "archive.interval.ms", field: "archiveIntervalMs", type: "LONG", default: "-1", parse: long(-1),
    doc: "with an archive: roll the active segment once it is this old, so the archive lags by at most about this much (-1: by segment size and segment.ms only)" },
  { key: "warehouse.enable", field: "warehouseEnable", type: "BOOLEAN", default: "true", parse: boolean,
    doc: "load the topic into the SQLite warehouse (one table named after it)" },
  { key: "warehouse.retention.ms", field: "warehouseRetentionMs", type: "LONG", default: "-1", parse: unlimited(1),
    doc: "delete warehouse rows whose timestamp is older than this (-1: keep them whatever the log's retention deletes)" },
  { key: "schema.invalid.policy", field: "schemaInvalidPolicy", type: "STRING", default: "reject", parse: oneOf("reject", "dead-letter"),
    doc: "records that fail the topic's JSON Schema: reject the request, or append them to <topic>.dlq with the reason in headers" },
  { key: "segment.bytes", field: "segmentBytes", type: "INT", default: String(1024 * 1024 * 1024), parse: integer(512, INT_MAX),
    doc: "roll to a new segment when the active one would grow past this" },
  { key: "segment.index.bytes", type: "INT", default: String(10 * 1024 * 1024), parse: integer(4, INT_MAX),
    doc: "accepted and reported; the sparse index grows with its segment" },
  { key: "segment.jitter.ms", type: "LONG", default: "0", parse: long(0),
    doc: "accepted and reported; segments roll at segment.ms exactly" },
  { key: "segment.ms", field: "segmentMs", type: "LONG", default: String(7 * DAY_MS), parse: long(1),
    doc: "roll to a new segment when the active one's first record is older than this" },
  { key: "unclean.leader.election.enable", type: "BOOLEAN", default: "false", parse: boolean,
    doc: "replication only: stored and reported" },
];

const BY_KEY = new Map(TOPIC_SETTINGS.map((s) => [s.key, s]));

/** Checks overrides and returns them normalised; throws InvalidConfigError naming the bad key. */
export function validateOverrides(overrides: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(overrides)) {
    const setting = BY_KEY.get(key);
    if (!setting) throw new InvalidConfigError(`unknown topic config '${key}'`);
    if (typeof value !== "string") throw new InvalidConfigError(`${key} must be given as a string`);
    setting.parse(value, key);
    out[key] = value.trim();
  }
  return out;
}

/** The typed config of a topic: broker defaults, then the topic's overrides. */
export function resolveTopicConfig(overrides: Record<string, string>, defaults: Record<string, string> = {}): TopicConfig {
  const config = {} as Record<keyof TopicConfig, unknown>;
  const given = (key: string) => overrides[key] ?? defaults[key];
  for (const s of TOPIC_SETTINGS) {
    if (s.field) config[s.field] = s.parse(given(s.key) ?? s.default, s.key);
  }
  // The deprecated difference limit stands in for whichever of before/after is not set (as in Kafka 3.6+).
  const difference = given("message.timestamp.difference.max.ms");
  if (difference !== undefined) {
    const limit = long(0)(difference, "message.timestamp.difference.max.ms");
    if (given("message.timestamp.before.max.ms") === undefined) config.timestampBeforeMaxMs = limit;
    if (given("message.timestamp.after.max.ms") === undefined) config.timestampAfterMaxMs = limit;
  }
  return config as unknown as TopicConfig;
}

export type ConfigSource = "topic" | "broker" | "default";

export interface EffectiveSetting {
  name: string;
  value: string;
  source: ConfigSource;
  type: ConfigType;
  doc: string;
  /** Where the value could come from, most specific first (Kafka's synonyms). */
  synonyms: { value: string; source: ConfigSource }[];
}

/** Every topic config with the value in force and where it comes from, in name order. */
export function effectiveTopicConfig(overrides: Record<string, string>, defaults: Record<string, string> = {}): EffectiveSetting[] {
  return TOPIC_SETTINGS.map((s) => {
    const synonyms: EffectiveSetting["synonyms"] = [];
    if (s.key in overrides) synonyms.push({ value: overrides[s.key]!, source: "topic" });
    if (s.key in defaults) synonyms.push({ value: defaults[s.key]!, source: "broker" });
    synonyms.push({ value: s.default, source: "default" });
    return { name: s.key, value: synonyms[0]!.value, source: synonyms[0]!.source, type: s.type, doc: s.doc, synonyms };
  });
}

export function isTopicSetting(key: string): boolean {
  return BY_KEY.has(key);
}

export function settingDefault(key: string): string | undefined {
  return BY_KEY.get(key)?.default;
}
