// CreateTopics, versions 0-7. One broker keeps one replica: a replication
// factor other than -1 or 1 is INVALID_REPLICATION_FACTOR, and explicit
// assignments must name this broker (with numPartitions and
// replicationFactor -1, as Kafka requires). v5+ answers carry the topic's
// configs; numPartitions -1 takes the broker's default.

import { logAdminChange } from "../../../ops/ops-log.js";
import { kafkaActor, type Handler } from "../kafka-context.js";
import { ZERO_UUID } from "../../../protocol/message-codec.js";
import { KafkaErrorCode } from "../../../protocol/kafka-error-codes.js";
import { InvalidConfigError, LogError } from "../../../log/errors.js";
import { validateTopicName } from "../../../log/store.js";
import { validateOverrides } from "../../../log/topic-config.js";
import type { CreateTopicsResponse } from "../../../protocol/generated/message-types.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";
import { describeTopicConfigs } from "./topic-configs.js";
import { partitionsFromAssignments } from "./replica-assignments.js";
import { AuthorizationFailed, mayCreateTopic } from "./authorize.js";

class ReplicationFactorError extends LogError {
  constructor(factor: number) {
    super("invalid_replication_factor", KafkaErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${factor}: this broker keeps one replica (use -1 or 1)`);
  }
}

export const createTopics: Handler<"CreateTopics"> = async (ctx, request, info) => {
  const topics: CreateTopicsResponse.CreatableTopicResult[] = [];
  for (const t of request.topics) {
    const name = t.name;
    let partitions = t.numPartitions === -1 ? ctx.defaultPartitions : t.numPartitions;
    try {
      if (!mayCreateTopic(ctx, info, name)) throw new AuthorizationFailed(KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED, `${info.session.principal} may not create topic ${name}`);
      if (t.assignments.length > 0) {
        if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
          throw new LogError("invalid_request", KafkaErrorCode.INVALID_REQUEST, "numPartitions and replicationFactor must be -1 when replica assignments are given");
        }
        partitions = partitionsFromAssignments(ctx, name, t.assignments);
      } else if (t.replicationFactor !== -1 && t.replicationFactor !== 1) throw new ReplicationFactorError(t.replicationFactor);
      const configs: Record<string, string> = {};
      for (const c of t.configs) {
        if (c.value === null) throw new InvalidConfigError(`config ${c.name} has a null value`);
        configs[c.name] = c.value;
      }
      validateTopicName(name);
      validateOverrides(configs);
      let id = ZERO_UUID;
      if (!request.validateOnly) {
        id = (await ctx.logs.createTopic(name, { partitions, configs })).id;
        logAdminChange(kafkaActor(info), "topic.create", `created topic ${name}`, { topic: name, partitions, configs });
      }
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
