// CreatePartitions, versions 0-3: the count only grows; explicit assignments
// for the new partitions must name this broker.

import { logAdminChange } from "../../../ops/ops-log.js";
import { kafkaActor, type Handler } from "../kafka-context.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";
import { InvalidReplicaAssignmentError, checkReplicas } from "./replica-assignments.js";
import { Operation, requireTopic } from "./authorize.js";

export const createPartitions: Handler<"CreatePartitions"> = async (ctx, request, info) => {
  const results = [];
  for (const t of request.topics) {
    try {
      requireTopic(ctx, info, Operation.ALTER, t.name);
      if (t.assignments !== null) {
        const added = t.count - ctx.logs.partitionCount(t.name);
        if (added > 0 && t.assignments.length !== added) {
          throw new InvalidReplicaAssignmentError(`${t.assignments.length} replica assignments given for ${added} new partitions of ${t.name}`);
        }
        t.assignments.forEach((a, i) => checkReplicas(ctx, a.brokerIds, `new partition ${i} of ${t.name}`));
      }
      if (!request.validateOnly) {
        const before = ctx.logs.partitionCount(t.name);
        await ctx.logs.createPartitions(t.name, t.count);
        logAdminChange(kafkaActor(info), "topic.add_partitions", `topic ${t.name} grew from ${before} to ${t.count} partitions`, { topic: t.name, partitions: t.count, before });
      }
      results.push({ name: t.name, errorCode: 0, errorMessage: null });
    } catch (err) {
      results.push({ name: t.name, errorCode: errorCodeOf(err, `create partitions of ${t.name}`), errorMessage: errorMessageOf(err) });
    }
  }
  return { throttleTimeMs: 0, results };
};
