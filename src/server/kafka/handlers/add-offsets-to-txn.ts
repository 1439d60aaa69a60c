// AddOffsetsToTxn, versions 0-4: the group's offsets will be committed inside
// the open transaction (TxnOffsetCommit). Needs WRITE on the transactional id
// and READ on the group.

import type { Handler } from "../kafka-context.js";
import { E, Operation, coordinatorOf, requireTransactionalId, transactionErrorCode } from "./txn-errors.js";
import { mayGroup } from "./authorize.js";

export const addOffsetsToTxn: Handler<"AddOffsetsToTxn"> = async (ctx, request, info) => {
  try {
    requireTransactionalId(ctx, info, Operation.WRITE, request.transactionalId);
    if (!mayGroup(ctx, info, Operation.READ, request.groupId)) return { throttleTimeMs: 0, errorCode: E.GROUP_AUTHORIZATION_FAILED };
    await coordinatorOf(ctx).addOffsets(request.transactionalId, Number(request.producerId), request.producerEpoch);
    return { throttleTimeMs: 0, errorCode: 0 };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: transactionErrorCode(err, "add offsets to a transaction", info.header.apiVersion, 2) };
  }
};
