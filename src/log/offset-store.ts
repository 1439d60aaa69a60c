// Committed consumer-group offsets, kept in the compacted internal topic
// `__consumer_offsets` (one record per group, topic and partition). A commit of
// many partitions is one batch: it lands whole or not at all.

import type { CompactedStore } from "./compacted-store.js";
import type { CommittedOffset, GroupOffsetStore, OffsetCommit } from "./store.js";

function offsetKey(group: string, topic: string, partition: number): string {
  return JSON.stringify(["offset", group, topic, partition]);
}

function parseKey(key: string): [string, string, string, number] | undefined {
  const parsed = JSON.parse(key) as unknown;
  return Array.isArray(parsed) && parsed[0] === "offset" ? (parsed as [string, string, string, number]) : undefined;
}

export class OffsetStore implements GroupOffsetStore {
  constructor(private readonly store: CompactedStore<CommittedOffset>) {}

  async commit(group: string, commits: OffsetCommit[], now = Date.now()): Promise<void> {
    await this.store.put(commits.map((c) => [offsetKey(group, c.topic, c.partition), {
      offset: c.offset,
      leaderEpoch: c.leaderEpoch ?? -1,
      metadata: c.metadata ?? null,
      commitTimestamp: now,
    }]));
  }

  async get(group: string, topic: string, partition: number): Promise<CommittedOffset | undefined> {
    return this.store.get(offsetKey(group, topic, partition));
  }

  /** Every committed offset of a group, optionally for one topic. */
  async list(group: string, topic?: string): Promise<{ topic: string; partition: number; committed: CommittedOffset }[]> {
    return this.listNow(group, topic);
  }

  private listNow(group: string, topic?: string): { topic: string; partition: number; committed: CommittedOffset }[] {
    const out = [];
    for (const [key, committed] of this.store.entries()) {
      const k = parseKey(key);
      if (k && k[1] === group && (topic === undefined || k[2] === topic)) out.push({ topic: k[2], partition: k[3], committed });
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  async groups(): Promise<string[]> {
    const names = new Set<string>();
    for (const [key] of this.store.entries()) {
      const k = parseKey(key);
      if (k) names.add(k[1]);
    }
    return [...names].sort();
  }

  /** Removes the offsets of some partitions of a group. */
  async deletePartitions(group: string, partitions: { topic: string; partition: number }[]): Promise<void> {
    const doomed = partitions.filter((p) => this.store.get(offsetKey(group, p.topic, p.partition)));
    await this.store.put(doomed.map((p) => [offsetKey(group, p.topic, p.partition), null]));
  }

  /** Removes every group's offsets of a topic (it was deleted), in one batch. */
  async deleteTopic(topic: string): Promise<void> {
    const doomed: [string, null][] = [];
    for (const [key] of this.store.entries()) {
      const k = parseKey(key);
      if (k && k[2] === topic) doomed.push([key, null]);
    }
    await this.store.put(doomed);
  }

  /** Removes a group's offsets (all, or those of `topics`). */
  async delete(group: string, topics?: string[]): Promise<void> {
    const doomed = this.listNow(group).filter((e) => !topics || topics.includes(e.topic));
    await this.store.put(doomed.map((e) => [offsetKey(group, e.topic, e.partition), null]));
  }
}
