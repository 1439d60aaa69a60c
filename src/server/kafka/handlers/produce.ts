// Produce, versions 0-11. Exactly one RecordBatch v2 per partition (v3+);
// v0-2 carry legacy message sets (magic 0 and 1), stored as one v2 batch, as
// Kafka 3.x does. Batches go through the write path (schema checks, dead
// letters) to the store; with acks=-1 and acks=1 alike the answer waits until
// the batch is durable (one broker: the leader is every replica). Records a
// dead-letter topic took are no error: the answer's errorMessage and
// recordErrors name where they went. A transactional producer (v3+) writes
// only to partitions added to its open transaction, with its current epoch,
// and needs WRITE on its transactional id.

import type { Handler, KafkaContext, RequestInfo } from "../kafka-context.js";
import type { ProduceRequest, ProduceResponse } from "../../../protocol/generated/message-types.js";
import { KafkaErrorCode } from "../../../protocol/kafka-error-codes.js";
import { encodeRecordBatch, splitBatches } from "../../../protocol/record-batch-codec.js";
import { LegacyMessageError, readLegacyMessageSet } from "../../../protocol/legacy-message-set.js";
import { ATTRIBUTES, PRODUCER_EPOCH, PRODUCER_ID, RECORD_COUNT, RECORDS, TRANSACTIONAL_BIT } from "../../../protocol/record-batch-header.js";
import { ResourceType } from "../../../security/acl.js";
import { transactionErrorCode } from "./txn-errors.js";
import { CorruptBatchError, InvalidRecordError, LogError, decompressionRefusal } from "../../../log/errors.js";
import { SchemaViolationError } from "../../write-path.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";
import { opsLog } from "../../../ops/ops-log.js";
import { Operation, mayTopic } from "./authorize.js";

/** Produce v3 is the first to carry record batches. */
const FIRST_BATCH_VERSION = 3;

type PartitionResponse = ProduceResponse.PartitionProduceResponse;

function partitionResponse(index: number, errorCode: number, extra: Partial<PartitionResponse> = {}): PartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null, ...extra };
}

/** The v2 batch a legacy message set becomes (CORRUPT_MESSAGE when it cannot be read). */
async function upConverted(records: Buffer, maxMessageBytes: number): Promise<Buffer> {
  let set;
  try {
    set = await readLegacyMessageSet(records, maxMessageBytes);
  } catch (err) {
    if (err instanceof LegacyMessageError) throw new CorruptBatchError(`legacy message set: ${err.message}`);
    // A wrapper that inflates past max.message.bytes is MESSAGE_TOO_LARGE; one that does not inflate, CORRUPT_MESSAGE.
    throw decompressionRefusal(err);
  }
  return encodeRecordBatch(set.records, { compression: set.compression });
}

/**
 * Appends one partition's records. Everything up to the write path's call
 * runs synchronously, so the appends of pipelined requests keep their order.
 */
function producePartition(ctx: KafkaContext, topic: string, p: ProduceRequest.PartitionProduceData, info: RequestInfo, version: number): Promise<PartitionResponse> {
  const { index } = p;
  if (!mayTopic(ctx, info, Operation.WRITE, topic)) {
    return Promise.resolve(partitionResponse(index, KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED, { errorMessage: `${info.session.principal} may not write to topic ${topic}` }));
  }
  if (ctx.logs.isInternalTopic(topic)) {
    return Promise.resolve(partitionResponse(index, KafkaErrorCode.INVALID_TOPIC_EXCEPTION, { errorMessage: `${topic} is an internal topic` }));
  }
  let log;
  try {
    log = ctx.logs.partition(topic, index);
  } catch (err) {
    return Promise.resolve(partitionResponse(index, errorCodeOf(err, "produce"), { errorMessage: errorMessageOf(err) }));
  }
  const records = p.records;
  if (version < FIRST_BATCH_VERSION && records && records.length > 0) {
    // Converted first, then appended like any batch. The conversion awaits (inflating),
    // so pipelined legacy requests queue per partition to keep their order; a queue of
    // their own, since the append may queue again for schema validation.
    const converted = upConverted(records, log.topicConfig.maxMessageBytes);
    return ctx.validation.inOrder(`legacy ${topic}`, index, async () => {
      const batch = await converted;
      return producePartition(ctx, topic, { index, records: batch }, info, FIRST_BATCH_VERSION);
    }).catch((err: unknown) => partitionResponse(index, errorCodeOf(err, `produce to ${topic}-${index}`), { errorMessage: errorMessageOf(err) }));
  }
  const batches = records ? splitBatches(records) : [];
  const whole = batches.reduce((n, b) => n + b.length, 0);
  let append: Promise<PartitionResponse>;
  if (!records || batches.length !== 1 || whole !== records.length) {
    const reason = !records || records.length === 0 ? "no records" : batches.length > 1 ? "more than one record batch" : "a truncated or malformed record batch";
    append = Promise.reject(new InvalidRecordError(`produce to ${topic}-${index} carries ${reason}; exactly one RecordBatch v2 is required`));
  } else {
    const batch = batches[0]!;
    // The frame buffer is ours alone: the log may write the offsets into it in place.
    const recordCount = batch.readInt32BE(RECORD_COUNT);
    append = ctx.writePath.produceBatch(topic, index, batch, `Kafka producer ${info.client}`).then(({ result, deadLettered }) => {
      if (result && !result.duplicate) ctx.metrics.appended(topic, "kafka", recordCount - deadLettered.length, batch.length);
      // Dead-lettered records are no error for the producer: the answer names where they went.
      const note = deadLettered.length
        ? { errorMessage: `${deadLettered.length} of ${recordCount} records fail the schema of ${topic} and were written to ${deadLettered[0]!.topic}` +
            ` (partition ${deadLettered[0]!.partition}, offset ${deadLettered[0]!.offset}${deadLettered.length > 1 ? ", ..." : ""})`,
          recordErrors: deadLettered.map((d) => ({ batchIndex: d.index, batchIndexErrorMessage: `written to ${d.topic} partition ${d.partition} offset ${d.offset}` })) }
        : {};
      return partitionResponse(index, 0, {
        baseOffset: BigInt(result?.baseOffset ?? -1),
        logAppendTimeMs: BigInt(result?.logAppendTime ?? -1),
        logStartOffset: BigInt(result?.logStartOffset ?? -1),
        ...note,
      });
    });
  }
  return append.catch((err: unknown) => {
    const code = errorCodeOf(err, `produce to ${topic}-${index}`);
    if (err instanceof LogError && code !== KafkaErrorCode.KAFKA_STORAGE_ERROR) {
      opsLog("kafka").warn({ client: info.client, partition: `${topic}-${index}` }, `refused produce to ${topic}-${index} from ${info.client}: ${err.message}`);
    }
    const recordIndex = err instanceof InvalidRecordError ? err.batchIndex : 0;
    const recordErrors = err instanceof SchemaViolationError
      ? err.verdicts.map((v) => ({ batchIndex: v.index, batchIndexErrorMessage: v.errors.map((e) => `${e.instancePath} ${e.message}`).join("; ") }))
      : code === KafkaErrorCode.INVALID_RECORD ? [{ batchIndex: recordIndex, batchIndexErrorMessage: errorMessageOf(err) }] : [];
    return partitionResponse(index, code, { errorMessage: errorMessageOf(err), recordErrors });
  });
}

/**
 * A transactional producer's batch goes only to a partition added to its open
 * transaction, with its current id and epoch: else the refusal to answer.
 */
function checkTransactional(ctx: KafkaContext, transactionalId: string, topic: string, p: ProduceRequest.PartitionProduceData, version: number): Promise<PartitionResponse> | undefined {
  const records = p.records;
  if (!records || records.length < RECORDS) return undefined;
  if ((records.readInt16BE(ATTRIBUTES) & TRANSACTIONAL_BIT) === 0) {
    return Promise.resolve(partitionResponse(p.index, KafkaErrorCode.INVALID_RECORD, { errorMessage: "a transactional producer's batch must be marked transactional" }));
  }
  try {
    ctx.transactions!.checkProduce(transactionalId, Number(records.readBigInt64BE(PRODUCER_ID)), records.readInt16BE(PRODUCER_EPOCH), topic, p.index);
    return undefined;
  } catch (err) {
    return Promise.resolve(partitionResponse(p.index, transactionErrorCode(err, "transactional produce", version, 9), { errorMessage: errorMessageOf(err) }));
  }
}

export const produce: Handler<"Produce"> = async (ctx, request, info) => {
  const version = info.header.apiVersion;
  const { acks, topicData } = request;
  const transactionalId = request.transactionalId;
  const transactional = transactionalId !== null && version >= FIRST_BATCH_VERSION;
  const mayUseId = transactional && ctx.authorizer.allows(info.session, Operation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId);
  if ((transactionalId !== null && (!transactional || !mayUseId || !ctx.transactions)) || ![0, 1, -1].includes(acks)) {
    const code = ![0, 1, -1].includes(acks) ? KafkaErrorCode.INVALID_REQUIRED_ACKS : KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    if (acks === 0) return null;
    return {
      responses: topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => partitionResponse(p.index, code)) })),
      throttleTimeMs: 0,
    };
  }
  const started = performance.now();
  const pending = topicData.map((t) => ({
    name: t.name,
    partitions: t.partitionData.map((p) => (transactional ? checkTransactional(ctx, transactionalId, t.name, p, version) : undefined) ?? producePartition(ctx, t.name, p, info, version)),
  }));
  const responses = [];
  for (const t of pending) responses.push({ name: t.name, partitionResponses: await Promise.all(t.partitions) });
  ctx.metrics.produceLatency.observe({ source: "kafka" }, (performance.now() - started) / 1000);
  // acks=0: the producer expects no answer at all.
  if (acks === 0) return null;
  return { responses, throttleTimeMs: 0 };
};
