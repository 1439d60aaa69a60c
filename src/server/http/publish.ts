// Publishing over HTTP: records parsed from JSON, NDJSON or REST Proxy v2
// bodies, checked as a request, then written by the write path (schema
// checks, dead letters, partitioning, shared batches) and answered only once
// durable.

import { isBase64 } from "./wire-values.js";
import type { LogStore } from "../../log/store.js";
import type { RecordHeader } from "../../protocol/record-batch-codec.js";
import type { BrokerMetrics } from "../metrics.js";
import { HttpError } from "./http-error.js";
import { SchemaViolationError, type PublishOutcome, type RecordToWrite, type WritePath } from "../write-path.js";

/** What publishing needs from the broker. */
export interface PublishDeps {
  logs: LogStore;
  writePath: WritePath;
  metrics?: BrokerMetrics;
}

export const RECORDS_PER_REQUEST_MAX = 10_000;

export type IncomingRecord = RecordToWrite;

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

/**
 * Checks the request, then hands the records to the write path (schema,
 * dead letters, batching). Invalid records refuse the whole request (422,
 * nothing written) unless the topic's schema.invalid.policy is dead-letter.
 */
export async function publish(deps: PublishDeps, topic: string, records: IncomingRecord[], source: string): Promise<PublishOutcome> {
  const started = performance.now();
  const { logs } = deps;
  if (!logs.hasTopic(topic)) throw new HttpError(404, 40401, `topic '${topic}' not found`);
  if (logs.isInternalTopic(topic)) throw new HttpError(403, 40301, `'${topic}' is an internal topic`);
  if (records.length === 0) throw new HttpError(422, 42201, "no records in the request");
  if (records.length > RECORDS_PER_REQUEST_MAX) throw new HttpError(413, 41302, `${records.length} records in one request; at most ${RECORDS_PER_REQUEST_MAX}`);
  const partitions = logs.partitionCount(topic);
  const outside = records.find((r) => r.partition !== undefined && r.partition >= partitions);
  if (outside) throw new HttpError(404, 40402, `partition ${outside.partition} of topic '${topic}' does not exist (it has ${partitions})`);
  try {
    return await deps.writePath.publish(topic, records, source);
  } catch (err) {
    if (err instanceof SchemaViolationError) {
      throw new HttpError(422, 42208, `${err.verdicts.length} of ${err.recordCount} records fail the schema of topic '${topic}'; nothing was written`, {
        errors: err.verdicts.map((v) => ({ index: v.index, errors: v.errors })),
      });
    }
    throw err;
  } finally {
    deps.metrics?.produceLatency.observe({ source: "http" }, (performance.now() - started) / 1000);
  }
}
