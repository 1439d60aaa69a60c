// InitProducerId, versions 0-5: ids for idempotent producers, never handed
// out twice (kept in the metadata topic), and KIP-360 epoch bumps; with a
// transactional id, the transaction coordinator's id and a new epoch that
// fences the older producer (WRITE on the transactional id).

import type { Handler } from "../kafka-context.js";
import { ResourceType } from "../../../security/acl.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { errorCodeOf } from "./errors.js";
import { coordinatorOf, requireTransactionalId, transactionErrorCode } from "./txn-errors.js";
import { Operation, mayCluster } from "./authorize.js";

const EPOCH_MAX = 32767;

export const initProducerId: Handler<"InitProducerId"> = async (ctx, request, info) => {
  if (request.transactionalId !== null) {
    try {
      requireTransactionalId(ctx, info, Operation.WRITE, request.transactionalId);
      const { producerId, producerEpoch } = await coordinatorOf(ctx).initProducerId(request.transactionalId, request.transactionTimeoutMs,
        { producerId: info.header.apiVersion >= 3 ? Number(request.producerId) : -1, producerEpoch: info.header.apiVersion >= 3 ? request.producerEpoch : -1 });
      return { throttleTimeMs: 0, errorCode: 0, producerId: BigInt(producerId), producerEpoch };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: transactionErrorCode(err, "init a transactional producer", info.header.apiVersion, 4), producerId: -1n, producerEpoch: -1 };
    }
  }
  // As Kafka 3: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic.
  if (!mayCluster(ctx, info, Operation.IDEMPOTENT_WRITE) && !ctx.authorizer.allowsAny(info.session, Operation.WRITE, ResourceType.TOPIC)) {
    return { throttleTimeMs: 0, errorCode: E.CLUSTER_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
  }
  try {
    const previousId = Number(request.producerId);
    const previousEpoch = request.producerEpoch;
    // KIP-360: an idempotent producer that lost track of its sequences bumps its epoch and keeps its id.
    if (previousId >= 0 && previousEpoch >= 0 && previousEpoch < EPOCH_MAX) {
      return { throttleTimeMs: 0, errorCode: 0, producerId: BigInt(previousId), producerEpoch: previousEpoch + 1 };
    }
    return { throttleTimeMs: 0, errorCode: 0, producerId: BigInt(await ctx.producerIds.allocate()), producerEpoch: 0 };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: errorCodeOf(err, "init producer id"), producerId: -1n, producerEpoch: -1 };
  }
};
