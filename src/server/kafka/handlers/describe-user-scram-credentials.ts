// DescribeUserScramCredentials, version 0: each user's mechanisms and
// iterations (never salts or keys); all users when none are named, an unknown
// one RESOURCE_NOT_FOUND, a name asked twice DUPLICATE_RESOURCE. Needs
// DESCRIBE on the cluster.

import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { SCRAM_MECHANISMS } from "../../../security/scram.js";
import { Operation, mayCluster } from "./authorize.js";

export const describeUserScramCredentials: Handler<"DescribeUserScramCredentials"> = (ctx, request, info) => {
  if (!mayCluster(ctx, info, Operation.DESCRIBE)) {
    return { throttleTimeMs: 0, errorCode: E.CLUSTER_AUTHORIZATION_FAILED, errorMessage: `${info.session.principal} may not describe the cluster`, results: [] };
  }
  const users = ctx.security.users();
  const names = request.users === null || request.users.length === 0 ? [...users.keys()] : request.users.map((u) => u.name);
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  const results = [...new Set(names)].map((user) => {
    if ((counts.get(user) ?? 0) > 1) return { user, errorCode: E.DUPLICATE_RESOURCE, errorMessage: `user ${user} is named more than once`, credentialInfos: [] };
    const credentials = users.get(user);
    if (!credentials) return { user, errorCode: E.RESOURCE_NOT_FOUND, errorMessage: `attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
    return { user, errorCode: 0, errorMessage: null, credentialInfos: credentials.map((c) => ({ mechanism: SCRAM_MECHANISMS[c.mechanism].kafkaType, iterations: c.iterations })) };
  });
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, results };
};
