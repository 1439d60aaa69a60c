// DescribeAcls, versions 0-3: the bindings matching the filter, grouped by
// resource pattern. Needs DESCRIBE on the cluster; SECURITY_DISABLED while
// authentication is off (no authorizer), as Kafka answers without one.

import type { Handler } from "../kafka-context.js";
import type { DescribeAclsResponse } from "../../../protocol/generated/message-types.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { Operation, mayCluster } from "./authorize.js";

export const describeAcls: Handler<"DescribeAcls"> = (ctx, request, info) => {
  const refused = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });
  if (!ctx.authorizer.enabled) return refused(E.SECURITY_DISABLED, "no authorizer: authentication is off (--sasl-mechanisms or --tls-ca turn it on)");
  if (!mayCluster(ctx, info, Operation.DESCRIBE)) return refused(E.CLUSTER_AUTHORIZATION_FAILED, `${info.session.principal} may not describe the cluster`);
  const byResource = new Map<string, DescribeAclsResponse.DescribeAclsResource>();
  for (const b of ctx.security.acls({
    resourceType: request.resourceTypeFilter, resourceName: request.resourceNameFilter, patternType: info.header.apiVersion >= 1 ? request.patternTypeFilter : 3,
    principal: request.principalFilter, host: request.hostFilter, operation: request.operation, permission: request.permissionType,
  })) {
    const key = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
    let resource = byResource.get(key);
    if (!resource) byResource.set(key, resource = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] });
    resource.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission });
  }
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, resources: [...byResource.values()] };
};
