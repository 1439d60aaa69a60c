// Exporting a topic's archived records for exploration with any tool
// (`tributary archive export`): NDJSON, or Parquet with one column per
// top-level property of the topic's JSON Schema. It reads the archive only,
// never a broker.

import * as fs from "node:fs";
import { decodeRecordBatch, splitBatches, type DecodedRecord } from "../protocol/record-batch-codec.js";
import { ControlType, markerTypeOf } from "../protocol/control-batch.js";
import { segmentKey } from "./archive-layout.js";
import { archivedPartitions, readCatalog } from "./archive-reader.js";
import type { ObjectStore } from "./object-store.js";

/** A value column of a Parquet export: a top-level property of the topic's schema. */
export interface ValueColumn {
  name: string;
  type: "INT64" | "DOUBLE" | "STRING" | "BOOLEAN" | "JSON";
}

export interface ExportOptions {
  topic: string;
  format: "ndjson" | "parquet";
  fromMs?: number;
  toMs?: number;
  /** Where to write; stdout for NDJSON when undefined. */
  out?: string;
  /** Parquet: the value's columns (from the topic's schema); the whole value is always in `value` too. */
  columns?: ValueColumn[];
}

interface Row {
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: unknown;
  headers: Record<string, string | null>;
}

function text(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString("utf8");
}

/** A value as JSON where it parses (after the schema-registry framing, if any), else as text. */
function valueOf(bytes: Buffer | null): unknown {
  if (bytes === null) return null;
  const payload = bytes.length >= 5 && bytes[0] === 0 ? bytes.subarray(5) : bytes;
  try {
    return JSON.parse(payload.toString("utf8"));
  } catch {
    return payload.toString("utf8");
  }
}

function rowOf(partition: number, r: DecodedRecord): Row {
  return {
    partition, offset: r.offset, timestamp: r.timestamp, key: text(r.key), value: valueOf(r.value),
    headers: Object.fromEntries(r.headers.map((h) => [h.key, text(h.value)])),
  };
}

/**
 * Every committed archived record of the topic within the time range,
 * partition by partition, in offset order, except that a transaction's
 * records come when its COMMIT marker does; an aborted transaction's, and one
 * the archive holds no end of, never come.
 */
async function* archivedRows(store: ObjectStore, options: ExportOptions): AsyncGenerator<Row> {
  const catalog = await readCatalog(store);
  if (!catalog.topics.some((t) => t.name === options.topic)) throw new Error(`the archive has no topic '${options.topic}'`);
  for (const { partition, manifest } of await archivedPartitions(store, catalog, [options.topic])) {
    const from = Math.max(manifest?.logStartOffset ?? 0, 0);
    /** Rows of each producer's open transaction, waiting for its marker. */
    const open = new Map<number, Row[]>();
    for (const segment of manifest?.segments ?? []) {
      if (options.fromMs !== undefined && segment.maxTimestamp >= 0 && segment.maxTimestamp < options.fromMs) continue;
      const bytes = await store.getBytes(segmentKey(options.topic, partition, segment.baseOffset, ".log"));
      if (!bytes) throw new Error(`archived segment ${segment.baseOffset} of ${options.topic}/${partition} is missing (run archive verify)`);
      for (const batch of splitBatches(bytes)) {
        const decoded = await decodeRecordBatch(batch);
        const producerId = decoded.header.producerId;
        if (decoded.isControl) {
          const rows = open.get(producerId) ?? [];
          open.delete(producerId);
          if (markerTypeOf(batch) === ControlType.COMMIT) yield* rows;
          continue;
        }
        for (const r of decoded.records) {
          if (r.offset < from) continue;
          if (options.fromMs !== undefined && r.timestamp < options.fromMs) continue;
          if (options.toMs !== undefined && r.timestamp > options.toMs) continue;
          if (decoded.isTransactional) open.set(producerId, [...(open.get(producerId) ?? []), rowOf(partition, r)]);
          else yield rowOf(partition, r);
        }
      }
    }
  }
}

/** Writes the export; resolves with the number of records written. */
export async function exportTopic(store: ObjectStore, options: ExportOptions): Promise<number> {
  let count = 0;
  if (options.format === "ndjson") {
    const out: NodeJS.WritableStream = options.out ? fs.createWriteStream(options.out) : process.stdout;
    for await (const row of archivedRows(store, options)) {
      const line = JSON.stringify({ ...row, timestamp: new Date(row.timestamp).toISOString() }) + "\n";
      if (!out.write(line)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
      count++;
    }
    if (options.out) await new Promise<void>((resolve, reject) => (out as fs.WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())));
    return count;
  }
  if (!options.out) throw new Error("a Parquet export needs --out FILE");
  const rows: Row[] = [];
  for await (const row of archivedRows(store, options)) rows.push(row);
  const columns = options.columns ?? [];
  const property = (row: Row, name: string): unknown => (row.value && typeof row.value === "object" && !Array.isArray(row.value) ? (row.value as Record<string, unknown>)[name] : undefined);
  const typed = (value: unknown, type: ValueColumn["type"]): unknown => {
    if (value === undefined || value === null) return null;
    if (type === "INT64") return typeof value === "number" && Number.isInteger(value) ? BigInt(value) : null;
    if (type === "DOUBLE") return typeof value === "number" ? value : null;
    if (type === "BOOLEAN") return typeof value === "boolean" ? value : null;
    if (type === "STRING") return typeof value === "string" ? value : JSON.stringify(value);
    return JSON.stringify(value);
  };
  const { parquetWriteFile } = await import("hyparquet-writer"); // loaded for Parquet exports only
  parquetWriteFile({
    filename: options.out,
    columnData: [
      { name: "_partition", data: rows.map((r) => r.partition), type: "INT32" },
      { name: "_offset", data: rows.map((r) => BigInt(r.offset)), type: "INT64" },
      { name: "_timestamp", data: rows.map((r) => BigInt(r.timestamp)), type: "INT64" },
      { name: "_key", data: rows.map((r) => r.key), type: "STRING" },
      { name: "_headers", data: rows.map((r) => JSON.stringify(r.headers)), type: "JSON" },
      ...columns.filter((c) => !c.name.startsWith("_")).map((c) => ({ name: c.name, data: rows.map((r) => typed(property(r, c.name), c.type)), type: c.type })),
      { name: "_value", data: rows.map((r) => JSON.stringify(r.value)), type: "JSON" },
    ],
  });
  return rows.length;
}
