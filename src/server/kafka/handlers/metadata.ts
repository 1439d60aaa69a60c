import type { Handler, KafkaContext } from "../kafka-context.js";
import type { Message } from "../../../protocol/message-codec.js";
import { KafkaErrorCode } from "../../../protocol/kafka-error-codes.js";
import { errorCodeOf } from "./errors.js";

export function brokerList(ctx: KafkaContext): Message[] {
  return [{ nodeId: ctx.nodeId, host: ctx.advertisedHost, port: ctx.advertisedPort, rack: null }];
}

export function topicMetadata(ctx: KafkaContext, name: string): Message {
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

/** The topic's metadata, or its error entry (LEADER_NOT_AVAILABLE while it is being created). */
function topicMetadataOrError(ctx: KafkaContext, name: string): Message {
  try {
    return topicMetadata(ctx, name);
  } catch (err) {
    return { errorCode: errorCodeOf(err, `metadata of ${name}`), name, isInternal: false, partitions: [] };
  }
}

export const metadata: Handler = async (ctx, request, info) => {
  const version = info.header.apiVersion;
  // v0 sends an empty list for "all topics"; v1+ sends null.
  const all = request.topics === null || (version === 0 && request.topics.length === 0);
  const topics: Message[] = [];
  if (all) {
    for (const t of ctx.logs.listTopics({ includeInternal: true })) topics.push(topicMetadataOrError(ctx, t.name));
  } else {
    const allowCreate = ctx.autoCreateTopics && (version < 4 || request.allowAutoTopicCreation);
    for (const requested of request.topics as Message[]) {
      let name: string | null = requested.name;
      if (name === null && version >= 10) name = ctx.logs.topicNameById(requested.topicId) ?? null;
      if (name === null) {
        topics.push({ errorCode: 100 /* UNKNOWN_TOPIC_ID */, name: null, topicId: requested.topicId, isInternal: false, partitions: [] });
        continue;
      }
      try {
        if (!ctx.logs.hasTopic(name) && allowCreate) {
          await ctx.logs.createTopic(name, { partitions: ctx.defaultPartitions });
          process.stderr.write(`tributary kafka: auto-created topic ${name} for ${info.client}\n`);
        }
        topics.push(topicMetadataOrError(ctx, name));
      } catch (err) {
        // Created meanwhile by someone else: describe it (or say it is still being created).
        const code = errorCodeOf(err, `creating ${name}`);
        topics.push(code === KafkaErrorCode.TOPIC_ALREADY_EXISTS ? topicMetadataOrError(ctx, name) : { errorCode: code, name, isInternal: false, partitions: [] });
      }
    }
  }
  return {
    throttleTimeMs: 0,
    brokers: brokerList(ctx),
    clusterId: ctx.logs.clusterId,
    controllerId: ctx.nodeId,
    topics,
    clusterAuthorizedOperations: -2147483648,
  };
};
