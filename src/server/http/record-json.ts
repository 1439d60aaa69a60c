// How a stored record looks in HTTP answers (reads, streams, REST consumers):
// JSON values parsed (after the schema-registry framing, if any), other bytes
// as text, everything base64 in binary format, or, in avro format, framed Avro
// decoded with the schema its id names, in Avro's JSON encoding.

import { decodeRecordBatch, splitBatches, type DecodedRecord } from "../../protocol/record-batch-codec.js";
import { inAbortedTransaction, type PartitionStore } from "../../log/store.js";
import { HttpError } from "./http-error.js";

export type RecordFormat = "json" | "binary" | "jsonschema" | "avro";

/** Decodes a framed Avro value to Avro's JSON encoding; throws when it is not one. */
export type AvroDecoder = (framed: Buffer) => unknown;

export interface RecordJson {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: unknown;
  value: unknown;
  headers: Record<string, string | null>;
}

function bytesToJson(bytes: Buffer | null, format: RecordFormat, parse: boolean): unknown {
  if (bytes === null) return null;
  if (format === "binary") return bytes.toString("base64");
  const payload = bytes.length >= 5 && bytes[0] === 0 ? bytes.subarray(5) : bytes; // magic 0 + schema id
  const text = payload.toString("utf8");
  if (!parse) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The committed records of a partition from `offset` on, decoded, as a
 * read_committed Kafka consumer sees them: whole batches up to about
 * `maxBytes` (at least one) below the last stable offset, without
 * transaction markers, the records of aborted transactions, or the records
 * before `offset` that share a batch with it. `bytes` is what the read took
 * from the log; `nextOffset` is where the next read starts (past markers and
 * aborted records too).
 */
export async function readRecordsFrom(log: PartitionStore, offset: number, maxBytes: number): Promise<{ records: DecodedRecord[]; bytes: number; nextOffset: number }> {
  const stable = (await log.offsets()).lastStableOffset;
  const records: DecodedRecord[] = [];
  let nextOffset = offset;
  let bytes = 0;
  // Markers and aborted records take no room in the answer: read on past them while nothing was found.
  while (records.length === 0 && nextOffset < stable && bytes < maxBytes) {
    const from = nextOffset;
    const read = (await log.read(from, maxBytes - bytes)).records;
    if (read.length === 0) break;
    bytes += read.length;
    const batches = splitBatches(read);
    const aborted = log.abortedTransactions(from, stable);
    for (const batch of batches) {
      const decoded = await decodeRecordBatch(batch);
      const { baseOffset, lastOffsetDelta, producerId } = decoded.header;
      if (baseOffset >= stable) break;
      nextOffset = Math.max(nextOffset, baseOffset + lastOffsetDelta + 1);
      if (decoded.isControl) continue;
      if (decoded.isTransactional && inAbortedTransaction(aborted, producerId, baseOffset)) continue;
      for (const r of decoded.records) if (r.offset >= from) records.push(r);
    }
    if (nextOffset === from) break;
  }
  return { records, bytes, nextOffset };
}

export function recordToJson(topic: string, partition: number, r: DecodedRecord, format: RecordFormat, avro?: AvroDecoder): RecordJson {
  const fromAvro = (bytes: Buffer, what: string) => {
    try {
      return avro!(bytes);
    } catch (err) {
      throw new HttpError(422, 42207, `the ${what} at ${topic}-${partition} offset ${r.offset} cannot be read as Avro: ${(err as Error).message}`);
    }
  };
  const avroKey = format === "avro" && r.key !== null && r.key.length >= 5 && r.key[0] === 0; // plain keys stay text
  const key = r.key === null ? null : avroKey ? fromAvro(r.key, "key") : format === "binary" ? r.key.toString("base64") : r.key.toString("utf8");
  const value = format !== "avro" ? bytesToJson(r.value, format, true) : r.value === null ? null : fromAvro(r.value, "value");
  return {
    topic, partition, offset: r.offset, timestamp: r.timestamp, key, value,
    headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString("utf8") ?? null])),
  };
}
