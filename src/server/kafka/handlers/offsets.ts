import type { Handler, KafkaContext } from "../kafka-context.js";
import type { Message } from "../../../protocol/message-codec.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import type { Group } from "../../groups/group-coordinator.js";
import { decodeSubscription } from "../../groups/consumer-protocol.js";
import { errorCodeOf } from "./errors.js";
import { TopicPartition } from "../../../log/store.js";

const OFFSET_METADATA_BYTES_MAX = 4096;

export const offsetCommit: Handler = async (ctx, request, info) => {
  const version = info.header.apiVersion;
  const groupId = request.groupId as string;
  const topics = request.topics as Message[];
  const all = (code: number) => ({
    throttleTimeMs: 0,
    topics: topics.map((t) => ({ name: t.name, partitions: (t.partitions as Message[]).map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })),
  });
  if (!groupId) return all(E.INVALID_GROUP_ID);
  const groupError = ctx.groups.group(groupId).validateCommit(request.memberId, request.generationIdOrMemberEpoch, version >= 7 ? request.groupInstanceId : null);
  if (groupError) return all(groupError);
  const accepted = [];
  const codes = new Map<string, number>();
  for (const t of topics) {
    for (const p of t.partitions as Message[]) {
      const key = TopicPartition.key(t.name, p.partitionIndex);
      if (p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata) > OFFSET_METADATA_BYTES_MAX) codes.set(key, E.OFFSET_METADATA_TOO_LARGE);
      else if (!ctx.logs.hasTopic(t.name) || p.partitionIndex < 0 || p.partitionIndex >= ctx.logs.partitionCount(t.name)) {
        codes.set(key, E.UNKNOWN_TOPIC_OR_PARTITION);
      } else {
        accepted.push({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset), leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata });
        codes.set(key, 0);
      }
    }
  }
  try {
    // One batch: every accepted offset of this request lands, or none does.
    await ctx.logs.offsets.commit(groupId, accepted);
  } catch (err) {
    return all(errorCodeOf(err, `commit offsets of ${groupId}`));
  }
  return {
    throttleTimeMs: 0,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: (t.partitions as Message[]).map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes.get(TopicPartition.key(t.name, p.partitionIndex))! })),
    })),
  };
};

async function fetchGroupOffsets(ctx: KafkaContext, groupId: string, topics: Message[] | null): Promise<Message[]> {
  const requested = topics === null
    ? groupByTopic((await ctx.logs.offsets.list(groupId)).map((e) => ({ topic: e.topic, partition: e.partition })))
    : topics.map((t) => ({ name: t.name as string, partitionIndexes: t.partitionIndexes as number[] }));
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

export const offsetFetch: Handler = async (ctx, request, info) => {
  if (info.header.apiVersion >= 8) {
    return {
      throttleTimeMs: 0,
      groups: await Promise.all((request.groups as Message[]).map(async (g) => ({
        groupId: g.groupId,
        topics: g.groupId ? await fetchGroupOffsets(ctx, g.groupId, g.topics) : [],
        errorCode: g.groupId ? 0 : E.INVALID_GROUP_ID,
      }))),
    };
  }
  if (!request.groupId) return { throttleTimeMs: 0, topics: [], errorCode: E.INVALID_GROUP_ID };
  return { throttleTimeMs: 0, topics: await fetchGroupOffsets(ctx, request.groupId, request.topics), errorCode: 0 };
};

/** Topics the group's members subscribe to through the standard consumer protocol. */
function subscribedTopics(group: Group): Set<string> {
  const topics = new Set<string>();
  if (group.protocolType !== "consumer") return topics;
  for (const m of group.members.values()) {
    const metadata = m.protocols.find((p) => p.name === group.protocolName)?.metadata;
    if (!metadata) continue;
    try {
      for (const t of decodeSubscription(metadata).topics) topics.add(t);
    } catch {
      // not the standard consumer protocol: nothing to protect
    }
  }
  return topics;
}

export const offsetDelete: Handler = async (ctx, request) => {
  const groupId = request.groupId as string;
  const group = ctx.groups.existing(groupId);
  const topics = request.topics as Message[];
  if (!group && (await ctx.logs.offsets.list(groupId)).length === 0) return { errorCode: E.GROUP_ID_NOT_FOUND, throttleTimeMs: 0, topics: [] };
  const subscribed = group && group.members.size > 0 ? subscribedTopics(group) : new Set<string>();
  const doomed = topics.filter((t) => !subscribed.has(t.name));
  try {
    await ctx.logs.offsets.deletePartitions(groupId, doomed.flatMap((t) => (t.partitions as Message[]).map((p) => ({ topic: t.name as string, partition: p.partitionIndex as number }))));
  } catch (err) {
    return { errorCode: errorCodeOf(err, "offset delete"), throttleTimeMs: 0, topics: [] };
  }
  return {
    errorCode: 0,
    throttleTimeMs: 0,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: (t.partitions as Message[]).map((p) => ({ partitionIndex: p.partitionIndex, errorCode: subscribed.has(t.name) ? E.GROUP_SUBSCRIBED_TO_TOPIC : 0 })),
    })),
  };
};
