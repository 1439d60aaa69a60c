// CreateAcls, versions 0-3: each creation stored, or refused on its own with
// INVALID_REQUEST naming what is wrong. Needs ALTER on the cluster;
// SECURITY_DISABLED while authentication is off.

import { logAdminChange } from "../../../ops/ops-log.js";
import { kafkaActor, type Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { AclError, checkBinding, describeBinding, type AclBinding } from "../../../security/acl.js";
import { Operation, mayCluster } from "./authorize.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";

export const createAcls: Handler<"CreateAcls"> = async (ctx, request, info) => {
  const all = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, results: request.creations.map(() => ({ errorCode, errorMessage })) });
  if (!ctx.authorizer.enabled) return all(E.SECURITY_DISABLED, "no authorizer: authentication is off (--sasl-mechanisms or --tls-ca turn it on)");
  if (!mayCluster(ctx, info, Operation.ALTER)) return all(E.CLUSTER_AUTHORIZATION_FAILED, `${info.session.principal} may not alter the cluster`);
  const results: { errorCode: number; errorMessage: string | null }[] = [];
  const valid: AclBinding[] = [];
  for (const c of request.creations) {
    const binding: AclBinding = {
      resourceType: c.resourceType, resourceName: c.resourceName, patternType: info.header.apiVersion >= 1 ? c.resourcePatternType : 3,
      principal: c.principal, host: c.host, operation: c.operation, permission: c.permissionType,
    };
    try {
      checkBinding(binding);
      valid.push(binding);
      results.push({ errorCode: 0, errorMessage: null });
    } catch (err) {
      if (!(err instanceof AclError)) throw err;
      results.push({ errorCode: E.INVALID_REQUEST, errorMessage: err.message });
    }
  }
  try {
    await ctx.security.addAcls(valid);
  } catch (err) {
    return all(errorCodeOf(err, "create acls"), errorMessageOf(err));
  }
  for (const b of valid) logAdminChange(kafkaActor(info), "acl.create", `added ACL: ${describeBinding(b)}`, { acl: describeBinding(b) });
  return { throttleTimeMs: 0, results };
};
