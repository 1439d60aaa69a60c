// The schema registry's records in a topic of the Kafka cluster (cluster mode):
// what the registry reads from memory and writes one batch at a time.

import type { KeyValueStore } from "../log/store.js";
import { decodeRecordBatch, encodeRecordBatch, splitBatches } from "../protocol/record-batch-codec.js";
import type { ClusterRequests } from "./cluster-protocol.js";

/**
 * The registry's records in a single-partition compacted topic of the
 * cluster: loaded whole at start, the latest value per key winning, each
 * change one batch produced with acks=all.
 */
export class ClusterKeyValueStore implements KeyValueStore<unknown> {
  private readonly values = new Map<string, unknown>();
  private loadedUpTo = 0;

  constructor(private readonly cluster: ClusterRequests, readonly topic: string) {}

  /** Reads the topic from where it was last read up to its end; true when anything new was read. */
  async load(): Promise<boolean> {
    const log = this.cluster.partition(this.topic, 0);
    const { logStartOffset, highWatermark } = await log.offsets();
    let offset = Math.max(this.loadedUpTo, logStartOffset);
    const from = offset;
    while (offset < highWatermark) {
      const { records } = await log.read(offset, 4 * 1024 * 1024);
      if (records.length === 0) break;
      for (const batch of splitBatches(records)) {
        const decoded = await decodeRecordBatch(batch);
        if (!decoded.isControl) {
          for (const r of decoded.records) {
            if (r.offset < offset || !r.key) continue;
            const key = r.key.toString("utf8");
            if (r.value === null) this.values.delete(key);
            else this.values.set(key, JSON.parse(r.value.toString("utf8")));
          }
        }
        offset = decoded.header.baseOffset + decoded.header.lastOffsetDelta + 1;
      }
    }
    this.loadedUpTo = offset;
    return offset > from;
  }

  get(key: string): unknown {
    return this.values.get(key);
  }

  entries(): IterableIterator<[string, unknown]> {
    return this.values.entries();
  }

  async put(changes: [string, unknown][]): Promise<void> {
    if (changes.length === 0) return;
    const batch = await encodeRecordBatch(changes.map(([key, value]) => ({
      key: Buffer.from(key, "utf8"), value: value === null ? null : Buffer.from(JSON.stringify(value), "utf8"),
    })));
    await this.cluster.partition(this.topic, 0).append(batch);
    // Read up to and through this batch: what others wrote before it comes before it (the log's order is the registry's).
    await this.load();
  }
}
