import type { LogStore } from "../log/store.js";

/** A committed offset and its lag; field names as in every JSON Tributary writes (snake_case). */
export interface PartitionLag {
  topic: string;
  partition: number;
  committed: number;
  /** High watermark of the partition, -1 when its topic is gone. */
  high_watermark: number;
  /** high_watermark - committed (never negative), -1 when its topic is gone. */
  lag: number;
  metadata: string | null;
}

/** A group's committed offsets with the lag behind each partition's high watermark. */
export async function groupLag(logs: LogStore, group: string): Promise<PartitionLag[]> {
  return Promise.all((await logs.offsets.list(group)).map(async ({ topic, partition, committed }) => {
    const exists = logs.hasTopic(topic) && partition < logs.partitionCount(topic);
    const high = exists ? (await logs.partition(topic, partition).offsets()).highWatermark : -1;
    return { topic, partition, committed: committed.offset, high_watermark: high, lag: high < 0 ? -1 : Math.max(0, high - committed.offset), metadata: committed.metadata };
  }));
}
