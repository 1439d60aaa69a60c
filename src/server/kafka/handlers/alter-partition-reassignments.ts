// AlterPartitionReassignments, version 0. On one broker the only valid
// assignment is the one a partition has: a reassignment to it completes at
// once, any other is INVALID_REPLICA_ASSIGNMENT, and a cancellation (null
// replicas) is NO_REASSIGNMENT_IN_PROGRESS, as on a one-node Kafka.

import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode } from "../../../protocol/kafka-error-codes.js";
import { LogError } from "../../../log/errors.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";
import { checkReplicas } from "./replica-assignments.js";
import { Operation, mayCluster } from "./authorize.js";

class NoReassignmentError extends LogError {
  constructor(topic: string, partition: number) {
    super("no_reassignment_in_progress", KafkaErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `no reassignment of ${topic}-${partition} is in progress`);
  }
}

export const alterPartitionReassignments: Handler<"AlterPartitionReassignments"> = (ctx, request, info) => !mayCluster(ctx, info, Operation.ALTER)
  ? { throttleTimeMs: 0, errorCode: KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: `${info.session.principal} may not alter the cluster`, responses: [] }
  : {
  throttleTimeMs: 0, errorCode: 0, errorMessage: null,
  responses: request.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      try {
        ctx.logs.partition(t.name, p.partitionIndex);
        if (p.replicas === null) throw new NoReassignmentError(t.name, p.partitionIndex);
        checkReplicas(ctx, p.replicas, `partition ${p.partitionIndex} of ${t.name}`);
        return { partitionIndex: p.partitionIndex, errorCode: 0, errorMessage: null };
      } catch (err) {
        return { partitionIndex: p.partitionIndex, errorCode: errorCodeOf(err, "alter partition reassignments"), errorMessage: errorMessageOf(err) };
      }
    }),
  })),
};
