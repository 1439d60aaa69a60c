// SyncGroup, versions 0-5: the leader's assignments handed to every member.

import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { Operation, mayGroup } from "./authorize.js";

export const syncGroup: Handler<"SyncGroup"> = async (ctx, request, info) => {
  const group = ctx.groups.existing(request.groupId);
  const base = { throttleTimeMs: 0, protocolType: request.protocolType, protocolName: request.protocolName };
  if (!mayGroup(ctx, info, Operation.READ, request.groupId)) return { ...base, errorCode: E.GROUP_AUTHORIZATION_FAILED, assignment: Buffer.alloc(0) };
  if (!group) return { ...base, errorCode: E.UNKNOWN_MEMBER_ID, assignment: Buffer.alloc(0) };
  const result = await group.sync(request.memberId, request.generationId, info.header.apiVersion >= 3 ? request.groupInstanceId : null,
    request.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })));
  return { ...base, protocolType: group.protocolType, protocolName: group.protocolName, errorCode: result.errorCode, assignment: result.assignment };
};
