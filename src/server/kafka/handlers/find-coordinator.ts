// FindCoordinator, versions 0-5. One broker coordinates every group. Differs
// from Kafka: transactions are not implemented yet, so a TRANSACTION key is
// answered TRANSACTIONAL_ID_AUTHORIZATION_FAILED (not retriable), and a
// transactional producer fails at once instead of retrying.

import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { Operation, mayGroup } from "./authorize.js";

const TRANSACTION_KEY_TYPE = 1;

export const findCoordinator: Handler<"FindCoordinator"> = (ctx, request, info) => {
  const answer = (key: string) => {
    // A group's coordinator is found by whoever may describe the group (GROUP_AUTHORIZATION_FAILED otherwise).
    const [error, message] = request.keyType === TRANSACTION_KEY_TYPE ? [E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "transactions are not supported by this broker yet"]
      : !mayGroup(ctx, info, Operation.DESCRIBE, key) ? [E.GROUP_AUTHORIZATION_FAILED, `${info.session.principal} may not describe group ${key}`]
      : [0, null];
    return { nodeId: error ? -1 : ctx.nodeId, host: error ? "" : ctx.advertisedHost, port: error ? -1 : ctx.advertisedPort, errorCode: error, errorMessage: message };
  };
  // v4+ answers a list of keys; before, one key at the top level.
  if (info.header.apiVersion >= 4) {
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: -1, host: "", port: -1, coordinators: request.coordinatorKeys.map((key) => ({ key, ...answer(key) })) };
  }
  return { throttleTimeMs: 0, ...answer(request.key), coordinators: [] };
};
