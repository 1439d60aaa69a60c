// Publishing over HTTP: records parsed from JSON, NDJSON or REST Proxy v2
// bodies are validated against the topic's schema, placed on partitions the
// way Kafka producers place them (murmur2 of the key; null keys stick to one
// partition per request), batched per partition with other requests by the
// record accumulator, and answered only once durable.

import { isBase64 } from "./wire-values.js";
import type { LogManager } from "../../log/log-manager.js";
import type { PlainRecord, RecordHeader } from "../../protocol/record-batch-codec.js";
import { partitionForKey } from "../../protocol/murmur2.js";
import type { RecordValidation } from "../../schema/record-validation.js";
import type { BrokerMetrics } from "../metrics.js";
import { HttpError } from "./http-error.js";
import type { RecordAccumulator } from "./record-accumulator.js";

/** What publishing needs from the broker. */
export interface PublishDeps {
  logs: LogManager;
  validation: RecordValidation;
  accumulator: RecordAccumulator;
  metrics?: BrokerMetrics;
}

export const RECORDS_PER_REQUEST_MAX = 10_000;

export interface IncomingRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  partition?: number;
  timestamp?: number;
}

export interface PublishResult {
  partition: number;
  offset: number;
}

/** How record values are turned into bytes: JSON text (default) or base64 (REST Proxy binary). */
export type ValueFormat = "json" | "binary";

function bytesOf(value: unknown, format: ValueFormat, field: string, index: number): Buffer | null {
  if (value === null || value === undefined) return null;
  if (format === "binary") {
    if (typeof value !== "string") throw new HttpError(422, 42205, `record ${index}: ${field} must be a base64 string in binary format`);
    if (!isBase64(value)) throw new HttpError(422, 42205, `record ${index}: ${field} is not valid base64`);
    return Buffer.from(value, "base64");
  }
  return Buffer.from(field === "key" && typeof value === "string" ? value : JSON.stringify(value), "utf8");
}

function parseHeaders(raw: unknown, index: number): RecordHeader[] {
  if (raw === undefined || raw === null) return [];
  if (Array.isArray(raw)) {
    return raw.map((h, j) => {
      if (!h || typeof h !== "object" || typeof (h as { key?: unknown }).key !== "string") throw new HttpError(422, 42206, `record ${index}: header ${j} needs a string key`);
      const v = (h as { value?: unknown }).value;
      return { key: (h as { key: string }).key, value: v === null || v === undefined ? null : Buffer.from(String(v), "utf8") };
    });
  }
  if (typeof raw === "object") return Object.entries(raw as Record<string, unknown>).map(([key, v]) => ({ key, value: v === null ? null : Buffer.from(String(v), "utf8") }));
  throw new HttpError(422, 42206, `record ${index}: headers must be an object or a list of { key, value }`);
}

/** Reads one record object of a request body. */
export function parseRecord(raw: unknown, index: number, format: ValueFormat = "json"): IncomingRecord {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new HttpError(422, 42201, `record ${index} must be a JSON object with a "value"`);
  const r = raw as Record<string, unknown>;
  if (!("value" in r)) throw new HttpError(422, 42201, `record ${index} has no "value"`);
  const partition = r.partition;
  if (partition !== undefined && partition !== null && (!Number.isInteger(partition) || (partition as number) < 0)) {
    throw new HttpError(422, 42202, `record ${index}: partition must be a non-negative integer`);
  }
  const timestamp = r.timestamp;
  if (timestamp !== undefined && timestamp !== null && (!Number.isInteger(timestamp) || (timestamp as number) < 0)) {
    throw new HttpError(422, 42203, `record ${index}: timestamp must be milliseconds since the epoch`);
  }
  return {
    key: bytesOf(r.key, format, "key", index),
    value: bytesOf(r.value, format, "value", index),
    headers: parseHeaders(r.headers, index),
    partition: (partition ?? undefined) as number | undefined,
    timestamp: (timestamp ?? undefined) as number | undefined,
  };
}

/** Appends records to a topic (through the accumulator, per partition); resolves once they are durable. */
async function appendRecords(deps: PublishDeps, topic: string, records: IncomingRecord[]): Promise<PublishResult[]> {
  const partitions = deps.logs.partitionCount(topic);
  const sticky = Math.floor(Math.random() * partitions);
  const byPartition = new Map<number, { index: number; record: PlainRecord }[]>();
  records.forEach((r, index) => {
    if (r.partition !== undefined && r.partition >= partitions) throw new HttpError(404, 40402, `partition ${r.partition} of topic '${topic}' does not exist (it has ${partitions})`);
    const partition = r.partition ?? (r.key ? partitionForKey(r.key, partitions) : sticky);
    const list = byPartition.get(partition) ?? [];
    list.push({ index, record: { key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp } });
    byPartition.set(partition, list);
  });
  const results: PublishResult[] = new Array(records.length);
  await Promise.all([...byPartition.entries()].map(async ([partition, list]) => {
    const baseOffset = await deps.accumulator.append(topic, partition, list.map((l) => l.record));
    list.forEach((l, i) => (results[l.index] = { partition, offset: baseOffset + i }));
  }));
  return results;
}

export interface PublishOutcome {
  /** One entry per record, in request order; null for a dead-lettered record. */
  offsets: (PublishResult | null)[];
  deadLettered: { index: number; partition: number; offset: number }[];
}

/**
 * Validates against the topic's schema, then appends. Invalid records refuse
 * the whole request (422, nothing written) unless the topic's
 * schema.invalid.policy is dead-letter: then they go to `<topic>.dlq` with the
 * reason in headers, and the valid ones to the topic.
 */
export async function publish(deps: PublishDeps, topic: string, records: IncomingRecord[], source: string): Promise<PublishOutcome> {
  const started = performance.now();
  const outcome = await publishChecked(deps, topic, records, source);
  deps.metrics?.produceLatency.observe({ source: "http" }, (performance.now() - started) / 1000);
  return outcome;
}

async function publishChecked(deps: PublishDeps, topic: string, records: IncomingRecord[], source: string): Promise<PublishOutcome> {
  const { logs, validation } = deps;
  if (!logs.hasTopic(topic)) throw new HttpError(404, 40401, `topic '${topic}' not found`);
  if (logs.isInternalTopic(topic)) throw new HttpError(403, 40301, `'${topic}' is an internal topic`);
  if (records.length === 0) throw new HttpError(422, 42201, "no records in the request");
  if (records.length > RECORDS_PER_REQUEST_MAX) throw new HttpError(413, 41302, `${records.length} records in one request; at most ${RECORDS_PER_REQUEST_MAX}`);
  const verdicts = validation.requiresValidation(topic) ? validation.check(topic, records.map((r) => r.value), source) : [];
  if (verdicts.length === 0) return { offsets: await appendRecords(deps, topic, records), deadLettered: [] };
  if (logs.describeTopic(topic).config.schemaInvalidPolicy !== "dead-letter") {
    throw new HttpError(422, 42208, `${verdicts.length} of ${records.length} records fail the schema of topic '${topic}'; nothing was written`, {
      errors: verdicts.map((v) => ({ index: v.index, errors: v.errors })),
    });
  }
  const dlq = `${topic}.dlq`;
  if (!logs.hasTopic(dlq)) await logs.createTopic(dlq).catch(() => undefined);
  const invalid = new Set(verdicts.map((v) => v.index));
  const valid = records.filter((_, i) => !invalid.has(i));
  const dead = verdicts.map((v) => ({
    ...records[v.index]!,
    partition: undefined,
    headers: [...records[v.index]!.headers,
      { key: "tributary.error", value: Buffer.from(JSON.stringify(v.errors)) },
      { key: "tributary.source.topic", value: Buffer.from(topic) }],
  }));
  const [written, deadWritten] = await Promise.all([valid.length ? appendRecords(deps, topic, valid) : [], appendRecords(deps, dlq, dead)]);
  let v = 0;
  const offsets = records.map((_, i) => (invalid.has(i) ? null : written[v++]!));
  return { offsets, deadLettered: verdicts.map((verdict, i) => ({ index: verdict.index, ...deadWritten[i]! })) };
}
