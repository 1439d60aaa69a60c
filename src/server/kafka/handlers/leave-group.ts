// LeaveGroup, versions 0-5: one member before v3, a batch of members from v3 (KIP-345).

import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { Operation, mayGroup } from "./authorize.js";

export const leaveGroup: Handler<"LeaveGroup"> = (ctx, request, info) => {
  if (!mayGroup(ctx, info, Operation.READ, request.groupId)) return { throttleTimeMs: 0, errorCode: E.GROUP_AUTHORIZATION_FAILED, members: [] };
  const group = ctx.groups.existing(request.groupId);
  if (info.header.apiVersion < 3) {
    return { throttleTimeMs: 0, errorCode: group ? group.leave(request.memberId, null) : E.UNKNOWN_MEMBER_ID, members: [] };
  }
  const members = request.members.map((m) => ({
    memberId: m.memberId, groupInstanceId: m.groupInstanceId,
    errorCode: group ? group.leave(m.memberId, m.groupInstanceId) : E.UNKNOWN_MEMBER_ID,
  }));
  return { throttleTimeMs: 0, errorCode: 0, members };
};
