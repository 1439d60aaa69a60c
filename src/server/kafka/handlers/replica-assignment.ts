// Replica assignments on a one-broker cluster: the only valid assignment of a
// partition is [this broker]. CreateTopics and CreatePartitions accept explicit
// assignments that say so; AlterPartitionReassignments accepts a reassignment
// to the replicas a partition already has (it completes at once) and
// ListPartitionReassignments never has one in progress, as on a one-node Kafka.

import type { Handler, KafkaContext } from "../kafka-context.js";
import type { Message } from "../../../protocol/message-codec.js";
import { KafkaErrorCode } from "../../../protocol/kafka-error-codes.js";
import { LogError } from "../../../log/errors.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";

export class InvalidReplicaAssignmentError extends LogError {
  constructor(message: string) {
    super("invalid_replica_assignment", KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, message);
  }
}

class NoReassignmentError extends LogError {
  constructor(topic: string, partition: number) {
    super("no_reassignment_in_progress", KafkaErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `no reassignment of ${topic}-${partition} is in progress`);
  }
}

/** Throws unless `brokerIds` names exactly this broker, once. */
export function checkReplicas(ctx: KafkaContext, brokerIds: number[], what: string): void {
  if (brokerIds.length === 0) throw new InvalidReplicaAssignmentError(`${what}: the replica list is empty`);
  if (new Set(brokerIds).size !== brokerIds.length) throw new InvalidReplicaAssignmentError(`${what}: replica list [${brokerIds.join(", ")}] repeats a broker`);
  const unknown = brokerIds.filter((id) => id !== ctx.nodeId);
  if (unknown.length > 0) {
    throw new InvalidReplicaAssignmentError(`${what}: broker ${unknown.join(", ")} does not exist (this cluster has one broker, id ${ctx.nodeId})`);
  }
}

/** The partition count given by CreateTopics assignments (indexes 0..n-1, each [this broker]). */
export function partitionsFromAssignments(ctx: KafkaContext, topic: string, assignments: Message[]): number {
  const indexes = assignments.map((a) => a.partitionIndex as number).sort((a, b) => a - b);
  if (indexes.some((index, i) => index !== i)) {
    throw new InvalidReplicaAssignmentError(`assignments of ${topic} must name partitions 0..${indexes.length - 1} once each, got [${indexes.join(", ")}]`);
  }
  for (const a of assignments) checkReplicas(ctx, a.brokerIds, `partition ${a.partitionIndex} of ${topic}`);
  return assignments.length;
}

export const alterPartitionReassignments: Handler = (ctx, request) => ({
  throttleTimeMs: 0, errorCode: 0, errorMessage: null,
  responses: (request.topics as Message[]).map((t) => ({
    name: t.name,
    partitions: (t.partitions as Message[]).map((p) => {
      try {
        ctx.logs.partition(t.name, p.partitionIndex);
        // null cancels a reassignment: there is never one in progress.
        if (p.replicas === null) throw new NoReassignmentError(t.name, p.partitionIndex);
        checkReplicas(ctx, p.replicas, `partition ${p.partitionIndex} of ${t.name}`);
        return { partitionIndex: p.partitionIndex, errorCode: 0, errorMessage: null };
      } catch (err) {
        return { partitionIndex: p.partitionIndex, errorCode: errorCodeOf(err, "alter partition reassignments"), errorMessage: errorMessageOf(err) };
      }
    }),
  })),
});

export const listPartitionReassignments: Handler = () => ({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics: [] });
