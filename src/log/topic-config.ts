// Per-topic settings, with Kafka's names so Kafka admin tools can read and set
// them. Overrides are stored as strings (as Kafka's DescribeConfigs carries
// them) and parsed into a typed view with limits.

import { InvalidConfigError } from "./errors.js";

export type CleanupPolicy = "delete" | "compact" | "compact,delete";
/** `always`: ack after fdatasync. A number: ack after write, fdatasync every that many ms. */
export type FlushPolicy = "always" | number;

export interface TopicConfig {
  cleanupPolicy: CleanupPolicy;
  retentionMs: number;
  retentionBytes: number;
  segmentBytes: number;
  segmentMs: number;
  maxMessageBytes: number;
  logAppendTime: boolean;
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
  indexIntervalBytes: number;
  flush: FlushPolicy;
  schemaInvalidPolicy: "reject" | "dead-letter";
}

interface Setting {
  key: string;
  default: string;
  doc: string;
  parse(value: string, key: string): unknown;
  field: keyof TopicConfig;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function integer(min: number, max: number) {
  return (value: string, key: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidConfigError(`${key}=${value} is not an integer`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidConfigError(`${key}=${value} is outside [${min}, ${max}]`);
    return n;
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

function unlimited(min: number, max: number) {
  const parse = integer(-1, max);
  return (value: string, key: string): number => {
    const n = parse(value, key);
    if (n !== -1 && n < min) throw new InvalidConfigError(`${key}=${value} must be -1 (unlimited) or at least ${min}`);
    return n;
  };
}

export const TOPIC_SETTINGS: readonly Setting[] = [
  { key: "cleanup.policy", field: "cleanupPolicy", default: "delete", parse: oneOf("delete", "compact", "compact,delete"),
    doc: "delete: drop old segments by retention; compact: keep the latest record per key" },
  { key: "retention.ms", field: "retentionMs", default: String(7 * DAY_MS), parse: unlimited(1, Number.MAX_SAFE_INTEGER),
    doc: "delete closed segments whose newest record is older than this (-1: keep forever)" },
  { key: "retention.bytes", field: "retentionBytes", default: "-1", parse: unlimited(0, Number.MAX_SAFE_INTEGER),
    doc: "delete the oldest closed segments while a partition is larger than this (-1: no limit)" },
  { key: "segment.bytes", field: "segmentBytes", default: String(1024 * 1024 * 1024), parse: integer(512, 2 ** 31 - 1),
    doc: "roll to a new segment when the active one would grow past this" },
  { key: "segment.ms", field: "segmentMs", default: String(7 * DAY_MS), parse: integer(1, Number.MAX_SAFE_INTEGER),
    doc: "roll to a new segment when the active one's first record is older than this" },
  { key: "max.message.bytes", field: "maxMessageBytes", default: String(1024 * 1024 + 12), parse: integer(64, 2 ** 30),
    doc: "largest record batch accepted, in bytes (MESSAGE_TOO_LARGE past it)" },
  { key: "message.timestamp.type", field: "logAppendTime", default: "CreateTime",
    parse: (v, k) => oneOf("CreateTime", "LogAppendTime")(v, k) === "LogAppendTime",
    doc: "CreateTime keeps the producer's timestamps; LogAppendTime stamps batches with the broker's clock" },
  { key: "delete.retention.ms", field: "deleteRetentionMs", default: String(DAY_MS), parse: integer(0, Number.MAX_SAFE_INTEGER),
    doc: "on compacted topics, how long a tombstone (null value) is kept after its timestamp" },
  { key: "min.cleanable.dirty.ratio", field: "minCleanableDirtyRatio", default: "0.5",
    parse: (v, k) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidConfigError(`${k}=${v} must be a number in [0, 1]`);
      return n;
    },
    doc: "compact once this share of the closed log has not been compacted yet" },
  { key: "index.interval.bytes", field: "indexIntervalBytes", default: "4096", parse: integer(0, 2 ** 30),
    doc: "bytes of log between two offset-index entries" },
  { key: "flush", field: "flush", default: "always",
    parse: (v, k) => (v.trim() === "always" ? "always" : integer(1, 24 * 60 * 60 * 1000)(v, k)),
    doc: "always: acknowledge an append only after fdatasync (group commit); N: acknowledge after the write and fdatasync every N ms, so up to N ms of acknowledged records can be lost if the machine (not the process) fails" },
  { key: "schema.invalid.policy", field: "schemaInvalidPolicy", default: "reject", parse: oneOf("reject", "dead-letter"),
    doc: "records that fail the topic's JSON Schema: reject the request, or append them to <topic>.dlq with the reason in headers" },
];

const BY_KEY = new Map(TOPIC_SETTINGS.map((s) => [s.key, s]));

/** Checks overrides and returns them normalised; throws InvalidConfigError naming the bad key. */
export function validateOverrides(overrides: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(overrides)) {
    const setting = BY_KEY.get(key);
    if (!setting) throw new InvalidConfigError(`unknown topic config '${key}' (known: ${[...BY_KEY.keys()].join(", ")})`);
    if (typeof value !== "string") throw new InvalidConfigError(`${key} must be given as a string`);
    setting.parse(value, key);
    out[key] = value.trim();
  }
  return out;
}

/** The typed config of a topic: broker defaults, then the topic's overrides. */
export function resolveTopicConfig(overrides: Record<string, string>, defaults: Record<string, string> = {}): TopicConfig {
  const config = {} as Record<keyof TopicConfig, unknown>;
  for (const s of TOPIC_SETTINGS) {
    const raw = overrides[s.key] ?? defaults[s.key] ?? s.default;
    config[s.field] = s.parse(raw, s.key);
  }
  return config as unknown as TopicConfig;
}

export function isTopicSetting(key: string): boolean {
  return BY_KEY.has(key);
}

export function settingDefault(key: string): string | undefined {
  return BY_KEY.get(key)?.default;
}
