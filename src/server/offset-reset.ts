// Moving a group's committed offsets of a topic, as Kafka's
// kafka-consumer-groups --reset-offsets does: to the log start or the high
// watermark, to one offset, to the first offset at a time, or by a shift;
// always within each partition's range. Used by POST /groups/{g}/reset-offsets
// and by the CLI on a data dir; the CLI over the Kafka protocol shares the rule.

import type { LogStore } from "../log/store.js";

export type ResetTarget = { to: "earliest" } | { to: "latest" } | { to: "offset"; offset: number } | { to: "datetime"; timestamp: number } | { to: "shift"; by: number };

export interface OffsetChange {
  topic: string;
  partition: number;
  /** -1 when the group had committed none. */
  current: number;
  next: number;
}

/** Where `target` moves a partition's offset; `atTime` is the first offset at the target's time, if there is one. */
export function nextOffset(target: ResetTarget, current: number, low: number, high: number, atTime?: number): number {
  const clamp = (offset: number) => Math.max(low, Math.min(high, offset));
  switch (target.to) {
    case "earliest": return low;
    case "latest": return high;
    case "offset": return clamp(target.offset);
    case "shift": return clamp((current < 0 ? low : current) + target.by);
    case "datetime": return atTime === undefined || atTime < 0 ? high : atTime;
  }
}

/** The changes `target` makes to `group`'s offsets of `topic`; committed (all at once) only when `execute`. */
export async function resetOffsets(store: LogStore, group: string, topic: string, target: ResetTarget, execute: boolean): Promise<OffsetChange[]> {
  const changes: OffsetChange[] = [];
  for (let p = 0; p < store.partitionCount(topic); p++) {
    const log = store.partition(topic, p);
    const { logStartOffset, highWatermark } = await log.offsets();
    const current = (await store.offsets.get(group, topic, p))?.offset ?? -1;
    const atTime = target.to === "datetime" ? (await log.offsetForTimestamp(target.timestamp))?.offset : undefined;
    changes.push({ topic, partition: p, current, next: nextOffset(target, current, logStartOffset, highWatermark, atTime) });
  }
  if (execute) await store.offsets.commit(group, changes.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.next })));
  return changes;
}
