// What the transaction handlers share: the coordinator of this broker (or a
// refusal where there is none), the WRITE check on a transactional id, and
// the error code of a failure.

import type { KafkaContext, RequestInfo } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { Operation, ResourceType } from "../../../security/acl.js";
import { TransactionError, type TransactionCoordinator } from "../../transactions/transaction-coordinator.js";
import { errorCodeOf } from "./errors.js";

export function coordinatorOf(ctx: KafkaContext): TransactionCoordinator {
  if (!ctx.transactions) throw new TransactionError(E.COORDINATOR_NOT_AVAILABLE, "this broker has no transaction coordinator");
  return ctx.transactions;
}

export function requireTransactionalId(ctx: KafkaContext, info: RequestInfo, op: number, transactionalId: string): void {
  if (!ctx.authorizer.allows(info.session, op, ResourceType.TRANSACTIONAL_ID, transactionalId)) {
    throw new TransactionError(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, `${info.session.principal} may not use transactional id ${transactionalId}`);
  }
}

/**
 * The code for a failure. PRODUCER_FENCED exists from the request version
 * `fencedFrom` on; older versions get INVALID_PRODUCER_EPOCH for it, as Kafka
 * answers clients that predate it (KIP-588).
 */
export function transactionErrorCode(err: unknown, what: string, version = Infinity, fencedFrom = 0): number {
  const code = err instanceof TransactionError ? err.kafkaErrorCode : errorCodeOf(err, what);
  return code === E.PRODUCER_FENCED && version < fencedFrom ? E.INVALID_PRODUCER_EPOCH : code;
}

export { Operation, E };
