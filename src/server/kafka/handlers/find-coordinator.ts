// FindCoordinator, versions 0-5. One broker coordinates every group and every
// transactional id (DESCRIBE on the group or the transactional id).

import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { Operation, mayGroup } from "./authorize.js";
import { ResourceType } from "../../../security/acl.js";

const TRANSACTION_KEY_TYPE = 1;

export const findCoordinator: Handler<"FindCoordinator"> = (ctx, request, info) => {
  const answer = (key: string) => {
    // A group's coordinator is found by whoever may describe the group (GROUP_AUTHORIZATION_FAILED otherwise).
    const [error, message] = request.keyType === TRANSACTION_KEY_TYPE
      ? !ctx.transactions ? [E.COORDINATOR_NOT_AVAILABLE, "this broker has no transaction coordinator"]
        : !ctx.authorizer.allows(info.session, Operation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key) ? [E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, `${info.session.principal} may not describe transactional id ${key}`]
        : [0, null]
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
