// FindCoordinator, versions 0-5. One broker coordinates every group. Differs
// from Kafka: transactions are not implemented yet, so a TRANSACTION key is
// answered TRANSACTIONAL_ID_AUTHORIZATION_FAILED (not retriable), and a
// transactional producer fails at once instead of retrying.

import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";

const TRANSACTION_KEY_TYPE = 1;

export const findCoordinator: Handler<"FindCoordinator"> = (ctx, request, info) => {
  const error = request.keyType === TRANSACTION_KEY_TYPE ? E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : 0;
  const message = error ? "transactions are not supported by this broker yet" : null;
  const coordinator = { nodeId: error ? -1 : ctx.nodeId, host: error ? "" : ctx.advertisedHost, port: error ? -1 : ctx.advertisedPort };
  // v4+ answers a list of keys; before, one key at the top level.
  const many = info.header.apiVersion >= 4;
  return {
    throttleTimeMs: 0, errorCode: error, errorMessage: message, ...coordinator,
    coordinators: many ? request.coordinatorKeys.map((key) => ({ key, ...coordinator, errorCode: error, errorMessage: message })) : [],
  };
};
