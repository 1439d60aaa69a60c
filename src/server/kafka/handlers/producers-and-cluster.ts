import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { errorCodeOf } from "./errors.js";

const EPOCH_MAX = 32767;

export const initProducerId: Handler = async (ctx, request, info) => {
  if (request.transactionalId !== null) {
    process.stderr.write(`tributary kafka: ${info.client} asked for transactional id ${request.transactionalId}: transactions are not supported\n`);
    return { throttleTimeMs: 0, errorCode: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
  }
  try {
    const previousId = Number(request.producerId ?? -1n);
    const previousEpoch = request.producerEpoch ?? -1;
    // KIP-360: an idempotent producer that lost track of its sequences bumps its epoch and keeps its id.
    if (previousId >= 0 && previousEpoch >= 0 && previousEpoch < EPOCH_MAX) {
      return { throttleTimeMs: 0, errorCode: 0, producerId: BigInt(previousId), producerEpoch: previousEpoch + 1 };
    }
    return { throttleTimeMs: 0, errorCode: 0, producerId: BigInt(await ctx.producerIds.allocate()), producerEpoch: 0 };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: errorCodeOf(err, "init producer id"), producerId: -1n, producerEpoch: -1 };
  }
};

export const describeCluster: Handler = (ctx) => ({
  throttleTimeMs: 0,
  errorCode: 0,
  errorMessage: null,
  endpointType: 1,
  clusterId: ctx.logs.clusterId,
  controllerId: ctx.nodeId,
  brokers: [{ brokerId: ctx.nodeId, host: ctx.advertisedHost, port: ctx.advertisedPort, rack: null }],
  clusterAuthorizedOperations: -2147483648,
});
