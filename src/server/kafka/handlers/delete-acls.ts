// DeleteAcls, versions 0-3: removes every binding each filter matches and
// names them. Needs ALTER on the cluster; SECURITY_DISABLED while
// authentication is off.

import { logAdminChange } from "../../../ops/ops-log.js";
import { kafkaActor, type Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { describeBinding } from "../../../security/acl.js";
import { Operation, mayCluster } from "./authorize.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";

export const deleteAcls: Handler<"DeleteAcls"> = async (ctx, request, info) => {
  const all = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, filterResults: request.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
  if (!ctx.authorizer.enabled) return all(E.SECURITY_DISABLED, "no authorizer: authentication is off (--sasl-mechanisms or --tls-ca turn it on)");
  if (!mayCluster(ctx, info, Operation.ALTER)) return all(E.CLUSTER_AUTHORIZATION_FAILED, `${info.session.principal} may not alter the cluster`);
  let removed;
  try {
    removed = await ctx.security.removeAcls(request.filters.map((f) => ({
      resourceType: f.resourceTypeFilter, resourceName: f.resourceNameFilter, patternType: info.header.apiVersion >= 1 ? f.patternTypeFilter : 3,
      principal: f.principalFilter, host: f.hostFilter, operation: f.operation, permission: f.permissionType,
    })));
  } catch (err) {
    return all(errorCodeOf(err, "delete acls"), errorMessageOf(err));
  }
  for (const b of removed.flat()) logAdminChange(kafkaActor(info), "acl.delete", `removed ACL: ${describeBinding(b)}`, { acl: describeBinding(b) });
  return {
    throttleTimeMs: 0,
    filterResults: removed.map((bindings) => ({
      errorCode: 0, errorMessage: null,
      matchingAcls: bindings.map((b) => ({
        errorCode: 0, errorMessage: null, resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType,
        principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission,
      })),
    })),
  };
};
