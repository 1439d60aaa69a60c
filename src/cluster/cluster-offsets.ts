// Committed group offsets in a Kafka cluster: OffsetCommit, OffsetFetch,
// ListGroups, OffsetDelete and DeleteGroups sent to each group's coordinator.

import type { CommittedOffset, GroupOffsetStore, OffsetCommit } from "../log/store.js";
import { KafkaErrorCode as E } from "../protocol/kafka-error-codes.js";
import { check, type ClusterRequests } from "./cluster-protocol.js";

export class ClusterOffsets implements GroupOffsetStore {
  constructor(private readonly cluster: ClusterRequests) {}

  private coordinator(group: string): Promise<number> {
    return this.cluster.groupCoordinator(group);
  }

  async commit(group: string, commits: OffsetCommit[]): Promise<void> {
    check(await this.cluster.offsetsOf(group, "", -1, commits), `commit offsets of group ${group}`);
  }

  async list(group: string, topic?: string): Promise<{ topic: string; partition: number; committed: CommittedOffset }[]> {
    const answer = await this.cluster.request("OffsetFetch", { groups: [{ groupId: group, topics: null }], requireStable: false }, await this.coordinator(group)) as
      { groups: { errorCode: number; topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; metadata: string | null; errorCode: number }[] }[] }[] };
    const g = answer.groups[0]!;
    check(g.errorCode, `fetch offsets of group ${group}`);
    const out = [];
    for (const t of g.topics) {
      if (topic !== undefined && t.name !== topic) continue;
      for (const p of t.partitions) {
        if (p.errorCode !== 0 || p.committedOffset < 0n) continue;
        out.push({
          topic: t.name, partition: p.partitionIndex,
          // The protocol does not carry a commit's time since OffsetFetch v0: -1 says it is unknown.
          committed: { offset: Number(p.committedOffset), leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata, commitTimestamp: -1 },
        });
      }
    }
    return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  async get(group: string, topic: string, partition: number): Promise<CommittedOffset | undefined> {
    return (await this.list(group, topic)).find((e) => e.partition === partition)?.committed;
  }

  async groups(): Promise<string[]> {
    const answer = await this.cluster.request("ListGroups", { statesFilter: [] }) as { errorCode: number; groups: { groupId: string }[] };
    check(answer.errorCode, "list groups");
    return answer.groups.map((g) => g.groupId).sort();
  }

  async deletePartitions(group: string, partitions: { topic: string; partition: number }[]): Promise<void> {
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const answer = await this.cluster.request("OffsetDelete", {
      groupId: group, topics: [...byTopic].map(([name, list]) => ({ name, partitions: list.map((partitionIndex) => ({ partitionIndex })) })),
    }, await this.coordinator(group)) as { errorCode: number; topics: { partitions: { errorCode: number }[] }[] };
    check(answer.errorCode, `delete offsets of group ${group}`);
    for (const t of answer.topics) for (const p of t.partitions) check(p.errorCode, `delete offsets of group ${group}`);
  }

  async delete(group: string, topics?: string[]): Promise<void> {
    if (topics !== undefined) {
      const doomed = (await this.list(group)).filter((e) => topics.includes(e.topic));
      if (doomed.length) await this.deletePartitions(group, doomed);
      return;
    }
    const answer = await this.cluster.request("DeleteGroups", { groupsNames: [group] }, await this.coordinator(group)) as { results: { errorCode: number }[] };
    const code = answer.results[0]!.errorCode;
    if (code !== E.GROUP_ID_NOT_FOUND) check(code, `delete group ${group}`);
  }
}
