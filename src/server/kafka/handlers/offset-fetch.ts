// OffsetFetch, versions 0-9: one group before v8, many from v8 (KIP-709).
// `requireStable` (v7+) changes nothing: without transactions no offset is
// ever pending.

import type { Handler, KafkaContext } from "../kafka-context.js";
import type { OffsetFetchResponse } from "../../../protocol/generated/message-types.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";

/** The committed offsets asked for; all of the group's when `topics` is null. */
async function fetchGroupOffsets(ctx: KafkaContext, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): Promise<OffsetFetchResponse.OffsetFetchResponseTopic[]> {
  const requested = topics ?? groupByTopic(await ctx.logs.offsets.list(groupId));
  return Promise.all(requested.map(async (t) => ({
    name: t.name,
    partitions: await Promise.all(t.partitionIndexes.map(async (partition) => {
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
      groups: await Promise.all(request.groups.map(async (g) => ({
        groupId: g.groupId,
        topics: g.groupId ? await fetchGroupOffsets(ctx, g.groupId, g.topics) : [],
        errorCode: g.groupId ? 0 : E.INVALID_GROUP_ID,
      }))),
    };
  }
  if (!request.groupId) return { throttleTimeMs: 0, topics: [], errorCode: E.INVALID_GROUP_ID, groups: [] };
  return { throttleTimeMs: 0, topics: await fetchGroupOffsets(ctx, request.groupId, request.topics), errorCode: 0, groups: [] };
};
