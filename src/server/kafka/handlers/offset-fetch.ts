// OffsetFetch, versions 0-9: one group before v8, many from v8 (KIP-709).
// `requireStable` (v7+) changes nothing: without transactions no offset is
// ever pending.

import type { Handler, KafkaContext, RequestInfo } from "../kafka-context.js";
import type { OffsetFetchResponse } from "../../../protocol/generated/message-types.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { Operation, mayGroup, mayTopic } from "./authorize.js";

/** The committed offsets asked for; all of the group's when `topics` is null. */
async function fetchGroupOffsets(ctx: KafkaContext, info: RequestInfo, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): Promise<OffsetFetchResponse.OffsetFetchResponseTopic[]> {
  // All of the group's offsets: only topics the principal may describe; named ones it may not: an error each.
  const requested = topics ?? groupByTopic(await ctx.logs.offsets.list(groupId)).filter((t) => mayTopic(ctx, info, Operation.DESCRIBE, t.name));
  return Promise.all(requested.map(async (t) => ({
    name: t.name,
    partitions: await Promise.all(t.partitionIndexes.map(async (partition) => {
      if (!mayTopic(ctx, info, Operation.DESCRIBE, t.name)) {
        return { partitionIndex: partition, committedOffset: -1n, committedLeaderEpoch: -1, metadata: "", errorCode: E.TOPIC_AUTHORIZATION_FAILED };
      }
      const committed = await ctx.logs.offsets.get(groupId, t.name, partition);
      return {
        partitionIndex: partition,
        committedOffset: BigInt(committed?.offset ?? -1),
        committedLeaderEpoch: committed?.leaderEpoch ?? -1,
        metadata: committed?.metadata ?? "",
        errorCode: 0,
      };
    })),
  })));
}

function groupByTopic(entries: { topic: string; partition: number }[]): { name: string; partitionIndexes: number[] }[] {
  const out = new Map<string, number[]>();
  for (const e of entries) out.set(e.topic, [...(out.get(e.topic) ?? []), e.partition]);
  return [...out.entries()].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
}

export const offsetFetch: Handler<"OffsetFetch"> = async (ctx, request, info) => {
  // v8+ answers many groups; before, one group at the top level.
  if (info.header.apiVersion >= 8) {
    return {
      throttleTimeMs: 0, topics: [], errorCode: 0,
      groups: await Promise.all(request.groups.map(async (g) => {
        const errorCode = !g.groupId ? E.INVALID_GROUP_ID : !mayGroup(ctx, info, Operation.DESCRIBE, g.groupId) ? E.GROUP_AUTHORIZATION_FAILED : 0;
        return { groupId: g.groupId, topics: errorCode ? [] : await fetchGroupOffsets(ctx, info, g.groupId, g.topics), errorCode };
      })),
    };
  }
  if (!request.groupId) return { throttleTimeMs: 0, topics: [], errorCode: E.INVALID_GROUP_ID, groups: [] };
  if (!mayGroup(ctx, info, Operation.DESCRIBE, request.groupId)) return { throttleTimeMs: 0, topics: [], errorCode: E.GROUP_AUTHORIZATION_FAILED, groups: [] };
  return { throttleTimeMs: 0, topics: await fetchGroupOffsets(ctx, info, request.groupId, request.topics), errorCode: 0, groups: [] };
};
