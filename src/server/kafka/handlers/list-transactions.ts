// ListTransactions, versions 0-1: the transactional ids this coordinator
// knows, filtered by state, producer id and (v1) how long they have been
// open; only the ones the principal may DESCRIBE. Unknown state names come
// back in unknownStateFilters.

import type { Handler } from "../kafka-context.js";
import { ResourceType } from "../../../security/acl.js";
import { Operation } from "./txn-errors.js";

const STATES = ["Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort"];

export const listTransactions: Handler<"ListTransactions"> = (ctx, request, info) => {
  const now = Date.now();
  const states = request.stateFilters;
  const producers = new Set(request.producerIdFilters.map(Number));
  const duration = info.header.apiVersion >= 1 ? Number(request.durationFilter) : -1;
  const records = (ctx.transactions?.records() ?? []).filter((r) =>
    (states.length === 0 || states.includes(r.state)) && (producers.size === 0 || producers.has(r.producerId)) &&
    (duration < 0 || (r.startMs >= 0 && now - r.startMs >= duration)) &&
    ctx.authorizer.allows(info.session, Operation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, r.transactionalId));
  return {
    throttleTimeMs: 0, errorCode: 0, unknownStateFilters: states.filter((s) => !STATES.includes(s)),
    transactionStates: records.map((r) => ({ transactionalId: r.transactionalId, producerId: BigInt(r.producerId), transactionState: r.state })),
  };
};
