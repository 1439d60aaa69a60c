// A durable key-value map kept in a single-partition compacted topic: every
// change is one appended batch (atomic and durable), the latest value per key
// wins, a null value deletes. Topic metadata and consumer-group offsets live in
// such topics, as Kafka keeps them; the data stays readable with any Kafka tool.

import { decodeRecordBatch, encodeRecordBatch, splitBatches } from "../protocol/record-batch-codec.js";
import type { KeyValueStore, PartitionStore } from "./store.js";

const READ_CHUNK_BYTES = 4 * 1024 * 1024;

export class CompactedStore<V> implements KeyValueStore<V> {
  private readonly values = new Map<string, V>();

  constructor(readonly log: PartitionStore) {}

  /** Replays the whole topic into memory. */
  async load(): Promise<void> {
    let { logStartOffset: offset, highWatermark } = await this.log.offsets();
    while (offset < highWatermark) {
      const { records } = await this.log.read(offset, READ_CHUNK_BYTES);
      if (records.length === 0) break;
      for (const batch of splitBatches(records)) {
        const decoded = await decodeRecordBatch(batch);
        if (decoded.isControl) continue;
        for (const r of decoded.records) {
          if (r.offset < offset || !r.key) continue;
          const key = r.key.toString("utf8");
          if (r.value === null) this.values.delete(key);
          else this.values.set(key, JSON.parse(r.value.toString("utf8")) as V);
        }
        offset = decoded.header.baseOffset + decoded.header.lastOffsetDelta + 1;
      }
    }
  }

  get(key: string): V | undefined {
    return this.values.get(key);
  }

  entries(): IterableIterator<[string, V]> {
    return this.values.entries();
  }

  /** Writes all changes as one batch; resolves when durable and visible. */
  async put(changes: [string, V | null][]): Promise<void> {
    if (changes.length === 0) return;
    const batch = await encodeRecordBatch(changes.map(([key, value]) => ({
      key: Buffer.from(key, "utf8"),
      value: value === null ? null : Buffer.from(JSON.stringify(value), "utf8"),
    })));
    await this.log.append(batch);
    for (const [key, value] of changes) {
      if (value === null) this.values.delete(key);
      else this.values.set(key, value);
    }
  }
}
