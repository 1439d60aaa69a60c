// The ACL checks the handlers make, as Kafka makes them: each API asks for an
// operation on a topic, a group, the cluster or a transactional id, and a
// refusal is that resource's *_AUTHORIZATION_FAILED code. A failed check
// throws, so a handler's per-resource error path answers it.

import type { KafkaContext, RequestInfo } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { CLUSTER_RESOURCE, Operation, ResourceType, operationName, type OperationName } from "../../../security/acl.js";

export class AuthorizationFailed extends Error {
  constructor(readonly kafkaErrorCode: number, message: string) {
    super(message);
  }
}

export { Operation };

export function mayTopic(ctx: KafkaContext, info: RequestInfo, op: number, topic: string): boolean {
  return ctx.authorizer.allows(info.session, op, ResourceType.TOPIC, topic);
}

export function mayGroup(ctx: KafkaContext, info: RequestInfo, op: number, group: string): boolean {
  return ctx.authorizer.allows(info.session, op, ResourceType.GROUP, group);
}

export function mayCluster(ctx: KafkaContext, info: RequestInfo, op: number): boolean {
  return ctx.authorizer.allows(info.session, op, ResourceType.CLUSTER, CLUSTER_RESOURCE);
}

function refusal(info: RequestInfo, op: number, what: string): string {
  return `${info.session.principal} may not ${operationName(op).toLowerCase() as Lowercase<OperationName>} ${what}`;
}

export function requireTopic(ctx: KafkaContext, info: RequestInfo, op: number, topic: string): void {
  if (!mayTopic(ctx, info, op, topic)) throw new AuthorizationFailed(E.TOPIC_AUTHORIZATION_FAILED, refusal(info, op, `topic ${topic}`));
}

export function requireGroup(ctx: KafkaContext, info: RequestInfo, op: number, group: string): void {
  if (!mayGroup(ctx, info, op, group)) throw new AuthorizationFailed(E.GROUP_AUTHORIZATION_FAILED, refusal(info, op, `group ${group}`));
}

export function requireCluster(ctx: KafkaContext, info: RequestInfo, op: number): void {
  if (!mayCluster(ctx, info, op)) throw new AuthorizationFailed(E.CLUSTER_AUTHORIZATION_FAILED, refusal(info, op, "the cluster"));
}

/** CreateTopics' check: CREATE on the cluster, or on the topic. */
export function mayCreateTopic(ctx: KafkaContext, info: RequestInfo, topic: string): boolean {
  return mayCluster(ctx, info, Operation.CREATE) || mayTopic(ctx, info, Operation.CREATE, topic);
}
