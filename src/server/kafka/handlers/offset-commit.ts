// OffsetCommit, versions 0-9. Every accepted offset of one request lands in
// one batch of __consumer_offsets: all or none. Partitions of unknown topics
// are UNKNOWN_TOPIC_OR_PARTITION and metadata over 4 KiB is
// OFFSET_METADATA_TOO_LARGE, each on its own entry. The v1 per-partition
// commit timestamp and the v2-4 retention time are read and ignored, as
// Kafka 3.x ignores them.

import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { TopicPartition, type OffsetCommit } from "../../../log/store.js";
import { errorCodeOf } from "./errors.js";
import { Operation, mayGroup, mayTopic } from "./authorize.js";

const OFFSET_METADATA_BYTES_MAX = 4096;

export const offsetCommit: Handler<"OffsetCommit"> = async (ctx, request, info) => {
  const version = info.header.apiVersion;
  const { groupId, topics } = request;
  const all = (code: number) => ({
    throttleTimeMs: 0,
    topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })),
  });
  if (!groupId) return all(E.INVALID_GROUP_ID);
  if (!mayGroup(ctx, info, Operation.READ, groupId)) return all(E.GROUP_AUTHORIZATION_FAILED);
  const groupError = ctx.groups.group(groupId).validateCommit(request.memberId, request.generationIdOrMemberEpoch, version >= 7 ? request.groupInstanceId : null);
  if (groupError) return all(groupError);
  const accepted: OffsetCommit[] = [];
  const codes = new Map<string, number>();
  for (const t of topics) {
    for (const p of t.partitions) {
      const key = TopicPartition.key(t.name, p.partitionIndex);
      if (!mayTopic(ctx, info, Operation.READ, t.name)) codes.set(key, E.TOPIC_AUTHORIZATION_FAILED);
      else if (p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata) > OFFSET_METADATA_BYTES_MAX) codes.set(key, E.OFFSET_METADATA_TOO_LARGE);
      else if (!ctx.logs.hasTopic(t.name) || p.partitionIndex < 0 || p.partitionIndex >= ctx.logs.partitionCount(t.name)) {
        codes.set(key, E.UNKNOWN_TOPIC_OR_PARTITION);
      } else {
        accepted.push({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset), leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata });
        codes.set(key, 0);
      }
    }
  }
  try {
    await ctx.logs.offsets.commit(groupId, accepted);
  } catch (err) {
    return all(errorCodeOf(err, `commit offsets of ${groupId}`));
  }
  return {
    throttleTimeMs: 0,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes.get(TopicPartition.key(t.name, p.partitionIndex))! })),
    })),
  };
};
