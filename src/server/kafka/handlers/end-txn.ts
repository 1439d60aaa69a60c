// EndTxn, versions 0-5: commits or aborts the producer's open transaction:
// markers to every partition in it, then (on commit) the group offsets it
// holds. Needs WRITE on the transactional id.

import type { Handler } from "../kafka-context.js";
import { Operation, coordinatorOf, requireTransactionalId, transactionErrorCode } from "./txn-errors.js";

export const endTxn: Handler<"EndTxn"> = async (ctx, request, info) => {
  const base = { throttleTimeMs: 0, producerId: -1n, producerEpoch: -1 };
  try {
    requireTransactionalId(ctx, info, Operation.WRITE, request.transactionalId);
    await coordinatorOf(ctx).endTransaction(request.transactionalId, Number(request.producerId), request.producerEpoch, request.committed);
    // v5 names the producer id and epoch to go on with: the same ones (no epoch bump per transaction: transaction.version 1).
    return { ...base, errorCode: 0, producerId: request.producerId, producerEpoch: request.producerEpoch };
  } catch (err) {
    return { ...base, errorCode: transactionErrorCode(err, "end a transaction", info.header.apiVersion, 2) };
  }
};
