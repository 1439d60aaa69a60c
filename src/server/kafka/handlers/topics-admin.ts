import type { Handler } from "../kafka-context.js";
import { ZERO_UUID, type Message } from "../../../protocol/message-codec.js";
import { KafkaErrorCode } from "../../../protocol/kafka-error-codes.js";
import { InvalidConfigError, LogError } from "../../../log/errors.js";
import { validateTopicName, type LogStore } from "../../../log/store.js";
import { validateOverrides } from "../../../log/topic-config.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";
import { describeTopicConfigs } from "./configs.js";
import { InvalidReplicaAssignmentError, checkReplicas, partitionsFromAssignments } from "./replica-assignment.js";

class ReplicationFactorError extends LogError {
  constructor(factor: number) {
    super("invalid_replication_factor", KafkaErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${factor}: this broker keeps one replica (use -1 or 1)`);
  }
}

export const createTopics: Handler = async (ctx, request) => {
  const topics = [];
  for (const t of request.topics as Message[]) {
    const name = t.name as string;
    let partitions = t.numPartitions === -1 ? ctx.defaultPartitions : (t.numPartitions as number);
    try {
      const assignments = t.assignments as Message[];
      if (assignments.length > 0) {
        if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
          throw new LogError("invalid_request", KafkaErrorCode.INVALID_REQUEST, "numPartitions and replicationFactor must be -1 when replica assignments are given");
        }
        partitions = partitionsFromAssignments(ctx, name, assignments);
      } else if (t.replicationFactor !== -1 && t.replicationFactor !== 1) throw new ReplicationFactorError(t.replicationFactor);
      const configs: Record<string, string> = {};
      for (const c of t.configs as Message[]) {
        if (c.value === null) throw new InvalidConfigError(`config ${c.name} has a null value`);
        configs[c.name] = c.value;
      }
      validateTopicName(name);
      validateOverrides(configs);
      let id = ZERO_UUID;
      if (!request.validateOnly) id = (await ctx.logs.createTopic(name, { partitions, configs })).id;
      else if (ctx.logs.hasTopic(name)) throw new LogError("topic_already_exists", KafkaErrorCode.TOPIC_ALREADY_EXISTS, `topic '${name}' already exists`);
      topics.push({
        name, topicId: id, errorCode: 0, errorMessage: null, numPartitions: partitions, replicationFactor: 1,
        configs: request.validateOnly ? [] : describeTopicConfigs(ctx, name).map((c) => ({
          name: c.name, value: c.value, readOnly: false, configSource: c.configSource, isSensitive: false,
        })),
      });
    } catch (err) {
      topics.push({ name, topicId: ZERO_UUID, errorCode: errorCodeOf(err, `create topic ${name}`), errorMessage: errorMessageOf(err),
        numPartitions: -1, replicationFactor: -1, configs: null });
    }
  }
  return { throttleTimeMs: 0, topics };
};

export const deleteTopics: Handler = async (ctx, request, info) => {
  const targets: { name: string | null; topicId: string }[] = info.header.apiVersion >= 6
    ? (request.topics as Message[]).map((t) => ({ name: t.name ?? ctx.logs.topicNameById(t.topicId) ?? null, topicId: t.topicId }))
    : (request.topicNames as string[]).map((name) => ({ name, topicId: ZERO_UUID }));
  const responses = [];
  for (const t of targets) {
    if (t.name === null) {
      responses.push({ name: null, topicId: t.topicId, errorCode: 100, errorMessage: `no topic has id ${t.topicId}` });
      continue;
    }
    try {
      const id = ctx.logs.hasTopic(t.name) ? ctx.logs.describeTopicId(t.name) : t.topicId;
      await ctx.logs.deleteTopic(t.name);
      responses.push({ name: t.name, topicId: id, errorCode: 0, errorMessage: null });
    } catch (err) {
      responses.push({ name: t.name, topicId: t.topicId, errorCode: errorCodeOf(err, `delete topic ${t.name}`), errorMessage: errorMessageOf(err) });
    }
  }
  return { throttleTimeMs: 0, responses };
};

export const createPartitions: Handler = async (ctx, request) => {
  const results = [];
  for (const t of request.topics as Message[]) {
    try {
      if (t.assignments !== null) {
        const added = t.count - ctx.logs.partitionCount(t.name);
        const assignments = t.assignments as Message[];
        if (added > 0 && assignments.length !== added) {
          throw new InvalidReplicaAssignmentError(`${assignments.length} replica assignments given for ${added} new partitions of ${t.name}`);
        }
        assignments.forEach((a, i) => checkReplicas(ctx, a.brokerIds, `new partition ${i} of ${t.name}`));
      }
      if (!request.validateOnly) await ctx.logs.createPartitions(t.name, t.count);
      results.push({ name: t.name, errorCode: 0, errorMessage: null });
    } catch (err) {
      results.push({ name: t.name, errorCode: errorCodeOf(err, `create partitions of ${t.name}`), errorMessage: errorMessageOf(err) });
    }
  }
  return { throttleTimeMs: 0, results };
};

export const deleteRecords: Handler = async (ctx, request) => ({
  throttleTimeMs: 0,
  topics: await Promise.all((request.topics as Message[]).map(async (t) => ({
    name: t.name,
    partitions: await Promise.all((t.partitions as Message[]).map(async (p) => {
      try {
        return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(await ctx.logs.deleteRecords(t.name, p.partitionIndex, Number(p.offset))), errorCode: 0 };
      } catch (err) {
        return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: errorCodeOf(err, "delete records") };
      }
    })),
  }))),
});
