// AlterUserScramCredentials, version 0: upserts (the client sends the salt,
// the iterations and the salted password, never the password) and deletions,
// answered per user. A user named twice, an unknown mechanism, iterations
// outside [4096, 16384] or an empty salt are refused for that user. Needs
// ALTER on the cluster.

import { logAdminChange } from "../../../ops/ops-log.js";
import { kafkaActor, type Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { ITERATIONS_MAX, ITERATIONS_MIN, credentialFromSaltedPassword, mechanismOfKafkaType, SCRAM_MECHANISMS, type ScramCredential, type ScramMechanism } from "../../../security/scram.js";
import { checkUserName } from "../../../security/security-store.js";
import { Operation, mayCluster } from "./authorize.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";

export const alterUserScramCredentials: Handler<"AlterUserScramCredentials"> = async (ctx, request, info) => {
  const users = [...new Set([...request.deletions.map((d) => d.name), ...request.upsertions.map((u) => u.name)])];
  if (!mayCluster(ctx, info, Operation.ALTER)) {
    return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: E.CLUSTER_AUTHORIZATION_FAILED, errorMessage: `${info.session.principal} may not alter the cluster` })) };
  }
  const problems = new Map<string, [number, string]>();
  const refuse = (user: string, code: number, message: string) => void (problems.has(user) || problems.set(user, [code, message]));
  const seen = new Set<string>();
  const changes: { user: string; mechanism: ScramMechanism; credential: ScramCredential | null }[] = [];
  for (const d of request.deletions) {
    const mechanism = mechanismOfKafkaType(d.mechanism);
    if (!mechanism) refuse(d.name, E.UNSUPPORTED_SASL_MECHANISM, `unknown SCRAM mechanism ${d.mechanism}`);
    else if (seen.has(`${d.name}/${mechanism}`)) refuse(d.name, E.DUPLICATE_RESOURCE, `${d.name}'s ${mechanism} credential is altered twice`);
    else if (!ctx.security.credential(d.name, mechanism)) refuse(d.name, E.RESOURCE_NOT_FOUND, `attempt to delete a user credential that does not exist: ${d.name} ${mechanism}`);
    else changes.push({ user: d.name, mechanism, credential: null });
    if (mechanism) seen.add(`${d.name}/${mechanism}`);
  }
  for (const u of request.upsertions) {
    const mechanism = mechanismOfKafkaType(u.mechanism);
    try {
      checkUserName(u.name);
    } catch (err) {
      refuse(u.name, E.UNACCEPTABLE_CREDENTIAL, (err as Error).message);
      continue;
    }
    if (!mechanism) refuse(u.name, E.UNSUPPORTED_SASL_MECHANISM, `unknown SCRAM mechanism ${u.mechanism}`);
    else if (seen.has(`${u.name}/${mechanism}`)) refuse(u.name, E.DUPLICATE_RESOURCE, `${u.name}'s ${mechanism} credential is altered twice`);
    else if (u.iterations < ITERATIONS_MIN || u.iterations > ITERATIONS_MAX) refuse(u.name, E.UNACCEPTABLE_CREDENTIAL, `iterations ${u.iterations} outside [${ITERATIONS_MIN}, ${ITERATIONS_MAX}]`);
    else if (u.salt.length === 0 || u.saltedPassword.length !== SCRAM_MECHANISMS[mechanism].keyBytes) refuse(u.name, E.UNACCEPTABLE_CREDENTIAL, "empty salt or a salted password of the wrong length");
    else changes.push({ user: u.name, mechanism, credential: credentialFromSaltedPassword(mechanism, Buffer.from(u.salt), u.iterations, Buffer.from(u.saltedPassword)) });
    if (mechanism) seen.add(`${u.name}/${mechanism}`);
  }
  // A user with any refused change keeps all its credentials as they were.
  const accepted = changes.filter((c) => !problems.has(c.user));
  try {
    await ctx.security.putCredentials(accepted);
  } catch (err) {
    return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: errorCodeOf(err, "alter credentials"), errorMessage: errorMessageOf(err) })) };
  }
  for (const c of accepted) {
    logAdminChange(kafkaActor(info), c.credential ? "user.set_credential" : "user.delete_credential", `${c.credential ? "set" : "deleted"} ${c.user}'s ${c.mechanism} credential`, { user: c.user, mechanism: c.mechanism });
  }
  return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: problems.get(user)?.[0] ?? 0, errorMessage: problems.get(user)?.[1] ?? null })) };
};
