// Plain records (HTTP publishes, dead letters) are batched the way a Kafka
// producer batches with linger.ms=0: records that reach the same partition
// within one turn of the event loop, from any number of requests, are encoded
// into one record batch and appended once. Many small requests then share one batch, one CRC check and one write,
// and each still learns its own offsets. When a shared batch is refused, every
// request in it is appended again on its own, so one request's bad record
// (say a null key on a compacted topic) fails that request and no other.

import { TopicPartition, type LogStore } from "../log/store.js";
import { encodeRecordBatch, type PlainRecord } from "../protocol/record-batch-codec.js";
import type { BrokerMetrics, Source } from "./metrics.js";

/** A shared batch stops taking requests at about this many bytes of keys, values and headers. */
const SHARED_BATCH_BYTES_MAX = 256 * 1024;

interface Part {
  records: PlainRecord[];
  /** Whose records these are, for the metrics. */
  source: Source;
  resolve(firstOffset: number): void;
  reject(err: unknown): void;
}

interface OpenBatch {
  topic: string;
  partition: number;
  parts: Part[];
  bytes: number;
}

function approximateBytes(records: PlainRecord[]): number {
  let bytes = 0;
  for (const r of records) {
    bytes += 16 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
    for (const h of r.headers ?? []) bytes += h.key.length + (h.value?.length ?? 0);
  }
  return bytes;
}

export class RecordAccumulator {
  private readonly open = new Map<string, OpenBatch>();

  constructor(private readonly logs: LogStore, private readonly metrics?: BrokerMetrics) {}

  /** Appends `records` to one partition, in order; resolves with the offset of the first once they are durable. */
  append(topic: string, partition: number, records: PlainRecord[], source: Source = "http"): Promise<number> {
    const bytes = approximateBytes(records);
    const key = TopicPartition.key(topic, partition);
    let batch = this.open.get(key);
    if (batch && batch.bytes + bytes > SHARED_BATCH_BYTES_MAX) {
      this.close(key, batch);
      batch = undefined;
    }
    if (!batch) {
      const opened: OpenBatch = { topic, partition, parts: [], bytes: 0 };
      this.open.set(key, opened);
      setImmediate(() => this.close(key, opened));
      batch = opened;
    }
    batch.bytes += bytes;
    const parts = batch.parts;
    return new Promise<number>((resolve, reject) => parts.push({ records, source, resolve, reject }));
  }

  /** Stops a batch from taking more requests and writes it (once). */
  private close(key: string, batch: OpenBatch): void {
    if (this.open.get(key) !== batch) return;
    this.open.delete(key);
    void this.write(batch.topic, batch.partition, batch.parts);
  }

  private async write(topic: string, partition: number, parts: Part[]): Promise<void> {
    const records = parts.length === 1 ? parts[0]!.records : parts.flatMap((p) => p.records);
    try {
      const encoded = await encodeRecordBatch(records);
      const bytes = encoded.length;
      const { baseOffset } = await this.logs.partition(topic, partition).append(encoded);
      let offset = baseOffset;
      for (const p of parts) {
        // The batch's bytes, shared out by records.
        this.metrics?.appended(topic, p.source, p.records.length, Math.round((bytes * p.records.length) / records.length));
        p.resolve(offset);
        offset += p.records.length;
      }
    } catch (err) {
      if (parts.length === 1) {
        parts[0]!.reject(err);
        return;
      }
      // A refused batch wrote nothing: give every request its own verdict, in arrival order.
      for (const p of parts) await this.write(topic, partition, [p]);
    }
  }
}
