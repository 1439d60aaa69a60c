// OffsetDelete, version 0: offsets of topics the group's live members
// subscribe to are kept (GROUP_SUBSCRIBED_TO_TOPIC), the others deleted.

import { logAdminChange } from "../../../ops/ops-log.js";
import { kafkaActor, type Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import type { Group } from "../../groups/group-coordinator.js";
import { decodeSubscription } from "../../groups/consumer-protocol.js";
import { errorCodeOf } from "./errors.js";
import { hasOffsets } from "./group-ids.js";
import { Operation, mayGroup, mayTopic } from "./authorize.js";

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

export const offsetDelete: Handler<"OffsetDelete"> = async (ctx, request, info) => {
  const { groupId, topics } = request;
  if (!mayGroup(ctx, info, Operation.DELETE, groupId)) return { errorCode: E.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
  const group = ctx.groups.existing(groupId);
  if (!group && !await hasOffsets(ctx, groupId)) return { errorCode: E.GROUP_ID_NOT_FOUND, throttleTimeMs: 0, topics: [] };
  const subscribed = group && group.members.size > 0 ? subscribedTopics(group) : new Set<string>();
  const readable = (name: string) => mayTopic(ctx, info, Operation.READ, name);
  const doomed = topics.filter((t) => !subscribed.has(t.name) && readable(t.name));
  try {
    await ctx.logs.offsets.deletePartitions(groupId, doomed.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex }))));
  } catch (err) {
    return { errorCode: errorCodeOf(err, "offset delete"), throttleTimeMs: 0, topics: [] };
  }
  if (doomed.length) {
    logAdminChange(kafkaActor(info), "group.delete_offsets", `deleted the offsets of group ${groupId} on ${doomed.map((t) => t.name).join(", ")}`,
      { group: groupId, topics: doomed.map((t) => t.name) });
  }
  return {
    errorCode: 0,
    throttleTimeMs: 0,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: !readable(t.name) ? E.TOPIC_AUTHORIZATION_FAILED : subscribed.has(t.name) ? E.GROUP_SUBSCRIBED_TO_TOPIC : 0 })),
    })),
  };
};
