import type { LogManager } from "./log-manager.js";

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: number;
  /** High watermark of the partition, -1 when its topic is gone. */
  logEnd: number;
  /** logEnd - committed (never negative), -1 when its topic is gone. */
  lag: number;
  metadata: string | null;
}

/** A group's committed offsets with the lag behind each partition's high watermark. */
export function groupLag(logs: LogManager, group: string): PartitionLag[] {
  return logs.offsets.list(group).map(({ topic, partition, committed }) => {
    const exists = logs.hasTopic(topic) && partition < logs.partitionCount(topic);
    const logEnd = exists ? logs.partition(topic, partition).highWatermark : -1;
    return { topic, partition, committed: committed.offset, logEnd, lag: logEnd < 0 ? -1 : Math.max(0, logEnd - committed.offset), metadata: committed.metadata };
  });
}
