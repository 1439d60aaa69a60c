// DescribeGroups, versions 0-5. Authorized operations are not computed
// (no ACLs yet): always "not requested" (-2^31).

import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { hasOffsets, invalidGroupId } from "./group-ids.js";
import { Operation, mayGroup } from "./authorize.js";

export const describeGroups: Handler<"DescribeGroups"> = async (ctx, request, info) => ({
  throttleTimeMs: 0,
  groups: await Promise.all(request.groups.map(async (groupId) => {
    if (!invalidGroupId(groupId) && !mayGroup(ctx, info, Operation.DESCRIBE, groupId)) {
      return { errorCode: E.GROUP_AUTHORIZATION_FAILED, groupId, groupState: "", protocolType: "", protocolData: "", members: [], authorizedOperations: -2147483648 };
    }
    const group = ctx.groups.existing(groupId);
    return {
      errorCode: invalidGroupId(groupId) ? E.INVALID_GROUP_ID : 0,
      groupId,
      groupState: group?.state ?? (await hasOffsets(ctx, groupId) ? "Empty" : "Dead"),
      protocolType: group?.protocolType ?? "",
      protocolData: group?.protocolName ?? "",
      members: group ? [...group.members.values()].map((m) => ({
        memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
        memberMetadata: m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? Buffer.alloc(0),
        memberAssignment: m.assignment,
      })) : [],
      authorizedOperations: -2147483648,
    };
  })),
});
