import { encodeRecordBatch, decodeRecordBatch, splitBatches, type PlainRecord } from "../../src/protocol/record-batch-codec.js";
import type { PartitionStore } from "../../src/log/store.js";

export function textRecords(values: string[], key?: (i: number) => string, timestamp?: number): PlainRecord[] {
  return values.map((v, i) => ({ key: key ? Buffer.from(key(i)) : null, value: Buffer.from(v), timestamp }));
}

export async function batchOf(values: string[], options: { key?: (i: number) => string; timestamp?: number } = {}): Promise<Buffer> {
  return encodeRecordBatch(textRecords(values, options.key, options.timestamp));
}

/** Every record readable from `from` to the high watermark, as { offset, value } (values as text). */
export async function readAll(log: PartitionStore, from?: number): Promise<{ offset: number; key: string | null; value: string | null }[]> {
  const out: { offset: number; key: string | null; value: string | null }[] = [];
  let offset = from ?? (await log.offsets()).logStartOffset;
  while (offset < (await log.offsets()).highWatermark) {
    const { records } = await log.read(offset, 1024 * 1024);
    if (records.length === 0) break;
    for (const batch of splitBatches(records)) {
      const decoded = await decodeRecordBatch(batch);
      for (const r of decoded.records) {
        if (r.offset >= offset) out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null });
      }
      offset = decoded.header.baseOffset + decoded.header.lastOffsetDelta + 1;
    }
  }
  return out;
}
