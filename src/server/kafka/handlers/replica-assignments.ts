// Replica assignments on a one-broker cluster: the only valid assignment of a
// partition is [this broker]. CreateTopics, CreatePartitions and
// AlterPartitionReassignments check assignments here.

import type { KafkaContext } from "../kafka-context.js";
import { KafkaErrorCode } from "../../../protocol/kafka-error-codes.js";
import { LogError } from "../../../log/errors.js";

export class InvalidReplicaAssignmentError extends LogError {
  constructor(message: string) {
    super("invalid_replica_assignment", KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, message);
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
export function partitionsFromAssignments(ctx: KafkaContext, topic: string, assignments: { partitionIndex: number; brokerIds: number[] }[]): number {
  const indexes = assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
  if (indexes.some((index, i) => index !== i)) {
    throw new InvalidReplicaAssignmentError(`assignments of ${topic} must name partitions 0..${indexes.length - 1} once each, got [${indexes.join(", ")}]`);
  }
  for (const a of assignments) checkReplicas(ctx, a.brokerIds, `partition ${a.partitionIndex} of ${topic}`);
  return assignments.length;
}
