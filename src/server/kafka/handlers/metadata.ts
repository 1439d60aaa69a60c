// Metadata, versions 0-12: one broker, leader of every partition with leader
// epoch 0, the only replica and in sync. Unknown topics are created when
// auto.create.topics.enable is on (and, from v4, the client allows it); v10+
// looks topics up by id too. Only topics the principal may DESCRIBE are listed;
// a named one it may not is TOPIC_AUTHORIZATION_FAILED, and auto-creation also
// needs CREATE. Authorized operations are not computed: always "not requested" (-2^31).

import { logAdminChange } from "../../../ops/ops-log.js";
import { kafkaActor, type Handler, type KafkaContext } from "../kafka-context.js";
import type { MetadataResponse } from "../../../protocol/generated/message-types.js";
import { KafkaErrorCode } from "../../../protocol/kafka-error-codes.js";
import { ZERO_UUID } from "../../../protocol/message-codec.js";
import { errorCodeOf } from "./errors.js";
import { Operation, mayCreateTopic, mayTopic } from "./authorize.js";

function topicMetadata(ctx: KafkaContext, name: string): MetadataResponse.MetadataResponseTopic {
  const id = ctx.logs.describeTopicId(name);
  return {
    errorCode: 0,
    name,
    topicId: id,
    isInternal: ctx.logs.isInternalTopic(name),
    partitions: Array.from({ length: ctx.logs.partitionCount(name) }, (_, partition) => ({
      errorCode: 0,
      partitionIndex: partition,
      leaderId: ctx.nodeId,
      leaderEpoch: 0,
      replicaNodes: [ctx.nodeId],
      isrNodes: [ctx.nodeId],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: -2147483648,
  };
}

function topicError(errorCode: number, name: string | null): MetadataResponse.MetadataResponseTopic {
  return { errorCode, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 };
}

/** The topic's metadata, or its error entry (LEADER_NOT_AVAILABLE while it is being created). */
function topicMetadataOrError(ctx: KafkaContext, name: string): MetadataResponse.MetadataResponseTopic {
  try {
    return topicMetadata(ctx, name);
  } catch (err) {
    return topicError(errorCodeOf(err, `metadata of ${name}`), name);
  }
}

export const metadata: Handler<"Metadata"> = async (ctx, request, info) => {
  const version = info.header.apiVersion;
  // v0 sends an empty list for "all topics"; v1+ sends null.
  const all = request.topics === null || (version === 0 && request.topics.length === 0);
  const topics: MetadataResponse.MetadataResponseTopic[] = [];
  if (all) {
    // Only the topics the principal may describe are listed, as Kafka lists them.
    for (const t of ctx.logs.listTopics({ includeInternal: true })) if (mayTopic(ctx, info, Operation.DESCRIBE, t.name)) topics.push(topicMetadataOrError(ctx, t.name));
  } else {
    const allowCreate = ctx.autoCreateTopics && (version < 4 || request.allowAutoTopicCreation);
    for (const requested of request.topics ?? []) {
      let name: string | null = requested.name;
      if (name === null && version >= 10) name = ctx.logs.topicNameById(requested.topicId) ?? null;
      if (name === null) {
        topics.push({ ...topicError(KafkaErrorCode.UNKNOWN_TOPIC_ID, null), topicId: requested.topicId });
        continue;
      }
      if (!mayTopic(ctx, info, Operation.DESCRIBE, name)) {
        topics.push(topicError(KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED, name));
        continue;
      }
      try {
        if (!ctx.logs.hasTopic(name) && allowCreate && mayCreateTopic(ctx, info, name)) {
          await ctx.logs.createTopic(name, { partitions: ctx.defaultPartitions });
          logAdminChange(kafkaActor(info), "topic.auto_create", `auto-created topic ${name} (Metadata)`, { topic: name, partitions: ctx.defaultPartitions });
        }
        topics.push(topicMetadataOrError(ctx, name));
      } catch (err) {
        // Created meanwhile by someone else: describe it (or say it is still being created).
        const code = errorCodeOf(err, `creating ${name}`);
        topics.push(code === KafkaErrorCode.TOPIC_ALREADY_EXISTS ? topicMetadataOrError(ctx, name) : topicError(code, name));
      }
    }
  }
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: ctx.nodeId, host: ctx.advertisedHost, port: ctx.advertisedPort, rack: null }],
    clusterId: ctx.logs.clusterId,
    controllerId: ctx.nodeId,
    topics,
    clusterAuthorizedOperations: -2147483648,
  };
};
