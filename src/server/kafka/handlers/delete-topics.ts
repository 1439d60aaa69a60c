// DeleteTopics, versions 0-6: by name, or from v6 by topic id (an unknown id
// is UNKNOWN_TOPIC_ID). Committed offsets of a deleted topic go too.

import { logAdminChange } from "../../../ops/ops-log.js";
import { kafkaActor, type Handler } from "../kafka-context.js";
import { ZERO_UUID } from "../../../protocol/message-codec.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import type { DeleteTopicsResponse } from "../../../protocol/generated/message-types.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";
import { Operation, requireTopic } from "./authorize.js";

export const deleteTopics: Handler<"DeleteTopics"> = async (ctx, request, info) => {
  const targets: { name: string | null; topicId: string }[] = info.header.apiVersion >= 6
    ? request.topics.map((t) => ({ name: t.name ?? ctx.logs.topicNameById(t.topicId) ?? null, topicId: t.topicId }))
    : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
  const responses: DeleteTopicsResponse.DeletableTopicResult[] = [];
  for (const t of targets) {
    if (t.name === null) {
      responses.push({ name: null, topicId: t.topicId, errorCode: E.UNKNOWN_TOPIC_ID, errorMessage: `no topic has id ${t.topicId}` });
      continue;
    }
    try {
      requireTopic(ctx, info, Operation.DELETE, t.name);
      const id = ctx.logs.hasTopic(t.name) ? ctx.logs.describeTopicId(t.name) : t.topicId;
      await ctx.logs.deleteTopic(t.name);
      logAdminChange(kafkaActor(info), "topic.delete", `deleted topic ${t.name}`, { topic: t.name });
      responses.push({ name: t.name, topicId: id, errorCode: 0, errorMessage: null });
    } catch (err) {
      responses.push({ name: t.name, topicId: t.topicId, errorCode: errorCodeOf(err, `delete topic ${t.name}`), errorMessage: errorMessageOf(err) });
    }
  }
  return { throttleTimeMs: 0, responses };
};
