// Heartbeat, versions 0-4.

import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { Operation, mayGroup } from "./authorize.js";

export const heartbeat: Handler<"Heartbeat"> = (ctx, request, info) => {
  if (!mayGroup(ctx, info, Operation.READ, request.groupId)) return { throttleTimeMs: 0, errorCode: E.GROUP_AUTHORIZATION_FAILED };
  const group = ctx.groups.existing(request.groupId);
  const errorCode = group ? group.heartbeat(request.memberId, request.generationId, info.header.apiVersion >= 3 ? request.groupInstanceId : null) : E.UNKNOWN_MEMBER_ID;
  return { throttleTimeMs: 0, errorCode };
};
