// Fetch v0-17: whole batches as stored, long-polled with max_wait_ms and
// min_bytes, bounded by max_bytes and partition_max_bytes (soft for the first
// batch), with incremental fetch sessions from v7 and topic ids from v13.
// v0-3 predate record batches: their answers are down-converted to legacy
// message sets (magic 0 for v0-1, magic 1 for v2-3), uncompressed, without
// headers, from the fetch offset on, as Kafka's down-conversion gives them.

import type { Handler, KafkaContext } from "../kafka-context.js";
import { ZERO_UUID } from "../../../protocol/message-codec.js";
import type { FetchResponse } from "../../../protocol/generated/message-types.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { OffsetOutOfRangeError } from "../../../log/errors.js";
import { TopicPartition, waitForAny, type ReadResult } from "../../../log/store.js";
import type { SessionPartition } from "../fetch-sessions.js";
import { errorCodeOf } from "./errors.js";
import { decodeRecordBatch, splitBatches } from "../../../protocol/record-batch-codec.js";
import { BASE_OFFSET, LAST_OFFSET_DELTA, TIMESTAMP_TYPE_BIT, readInt64 } from "../../../protocol/record-batch-header.js";
import { writeLegacyMessageSet } from "../../../protocol/legacy-message-set.js";
import { Operation, mayTopic } from "./authorize.js";

// A partition in error still carries an empty record set, never null: librdkafka
// fails to parse a null one and then never applies auto.offset.reset.
const EMPTY = Buffer.alloc(0);
const MAX_WAIT_MS_MAX = 5 * 60 * 1000;

interface Target extends SessionPartition {
  /** Set when the partition cannot be read at all (unknown topic or id). */
  errorCode?: number;
}

/** A partition's answer; its records are always a buffer, empty when there are none. */
type PartitionAnswer = FetchResponse.PartitionData & { records: Buffer; errorCode: number; highWatermark: bigint; logStartOffset: bigint };

async function readPartition(ctx: KafkaContext, t: Target, budget: number, readCommitted: boolean): Promise<{ response: PartitionAnswer; bytes: number }> {
  const base = { partitionIndex: t.partition, preferredReadReplica: -1, abortedTransactions: readCommitted ? [] : null };
  if (t.errorCode !== undefined) {
    return { response: { ...base, errorCode: t.errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: EMPTY }, bytes: 0 };
  }
  try {
    const log = ctx.logs.partition(t.topic, t.partition);
    let read: ReadResult;
    if (budget > 0) read = await log.read(t.fetchOffset, Math.min(t.maxBytes, budget));
    else {
      // Out of budget: no bytes, but the answer still says where the log stands.
      const offsets = await log.offsets();
      if (t.fetchOffset > offsets.highWatermark || t.fetchOffset < offsets.logStartOffset) throw new OffsetOutOfRangeError(t.fetchOffset, offsets.logStartOffset, offsets.highWatermark);
      read = { records: EMPTY, ...offsets };
    }
    let { records } = read;
    const hw = BigInt(read.highWatermark);
    if (!readCommitted) {
      return { response: { ...base, errorCode: 0, highWatermark: hw, lastStableOffset: hw, logStartOffset: BigInt(read.logStartOffset), records }, bytes: records.length };
    }
    // read_committed: nothing at or past the last stable offset, and the aborted transactions of what is returned.
    const lso = (await log.offsets()).lastStableOffset;
    if (lso < read.highWatermark) records = batchesBelow(records, lso);
    const end = records.length ? batchesEnd(records) : t.fetchOffset;
    const aborted = records.length ? log.abortedTransactions(t.fetchOffset, end) : [];
    return {
      response: {
        ...base, errorCode: 0, highWatermark: hw, lastStableOffset: BigInt(lso), logStartOffset: BigInt(read.logStartOffset), records,
        abortedTransactions: aborted.map((a) => ({ producerId: BigInt(a.producerId), firstOffset: BigInt(a.firstOffset) })),
      },
      bytes: records.length,
    };
  } catch (err) {
    let hw = -1n;
    let start = -1n;
    if (err instanceof OffsetOutOfRangeError) {
      hw = BigInt(err.highWatermark);
      start = BigInt(err.logStartOffset);
    }
    return {
      response: { ...base, errorCode: errorCodeOf(err, `fetch ${t.topic}-${t.partition}`), highWatermark: hw, lastStableOffset: hw, logStartOffset: start, records: EMPTY },
      bytes: 0,
    };
  }
}

/** The whole batches of `records` that start below `offset`. */
function batchesBelow(records: Buffer, offset: number): Buffer {
  let end = 0;
  for (const batch of splitBatches(records)) {
    if (readInt64(batch, BASE_OFFSET) >= offset) break;
    end += batch.length;
  }
  return end === records.length ? records : records.subarray(0, end);
}

/** The offset after the last batch of `records`. */
function batchesEnd(records: Buffer): number {
  const batches = splitBatches(records);
  const last = batches[batches.length - 1]!;
  return readInt64(last, BASE_OFFSET) + last.readInt32BE(LAST_OFFSET_DELTA) + 1;
}

/** Fetch v4 is the first to carry record batches. */
const FIRST_BATCH_VERSION = 4;

async function downConverted(ctx: KafkaContext, t: Target, records: Buffer, magic: 0 | 1): Promise<Buffer> {
  const maxBytes = ctx.logs.partition(t.topic, t.partition).topicConfig.maxMessageBytes;
  const parts: Buffer[] = [];
  for (const batch of splitBatches(records)) {
    const decoded = await decodeRecordBatch(batch, maxBytes);
    if (decoded.isControl) continue;
    parts.push(writeLegacyMessageSet(decoded.records, magic, t.fetchOffset, (decoded.header.attributes & TIMESTAMP_TYPE_BIT) !== 0));
  }
  return Buffer.concat(parts);
}

export const fetch: Handler<"Fetch"> = async (ctx, request, info) => {
  const version = info.header.apiVersion;
  const useIds = version >= 13;
  const readCommitted = request.isolationLevel === 1;
  const sessionOutcome = version >= 7 ? ctx.fetchSessions.open(request.sessionId, request.sessionEpoch, info.session.principal) : { session: undefined, incremental: false };
  if ("error" in sessionOutcome) {
    return { throttleTimeMs: 0, errorCode: sessionOutcome.error, sessionId: 0, responses: [] };
  }
  const { session, incremental } = sessionOutcome;
  const requested: Target[] = [];
  for (const topic of request.topics) {
    const name = useIds ? ctx.logs.topicNameById(topic.topicId) : topic.topic;
    const topicId = useIds ? topic.topicId : ctx.logs.hasTopic(topic.topic) ? ctx.logs.describeTopicId(topic.topic) : ZERO_UUID;
    for (const p of topic.partitions) {
      requested.push({
        topic: name ?? topic.topicId,
        topicId,
        partition: p.partition,
        fetchOffset: Number(p.fetchOffset),
        maxBytes: p.partitionMaxBytes,
        sentHighWatermark: -1,
        sentLogStartOffset: -1,
        errorCode: name === undefined ? E.UNKNOWN_TOPIC_ID : !mayTopic(ctx, info, Operation.READ, name) ? E.TOPIC_AUTHORIZATION_FAILED : undefined,
      });
    }
  }
  let targets: Target[] = requested;
  if (session) {
    if (!incremental) session.partitions.clear();
    for (const t of requested) {
      const key = TopicPartition.key(t.topic, t.partition);
      const known = session.partitions.get(key);
      session.partitions.set(key, { ...t, sentHighWatermark: known?.sentHighWatermark ?? -1, sentLogStartOffset: known?.sentLogStartOffset ?? -1 });
    }
    for (const forgotten of request.forgottenTopicsData) {
      const name = useIds ? ctx.logs.topicNameById(forgotten.topicId) ?? forgotten.topicId : forgotten.topic;
      for (const p of forgotten.partitions) session.partitions.delete(TopicPartition.key(name, p));
    }
    targets = [...session.partitions.values()];
  }
  const started = performance.now();
  const maxBytes = version >= 3 ? request.maxBytes : 0x7fffffff;
  const deadline = Date.now() + Math.min(Math.max(0, request.maxWaitMs), MAX_WAIT_MS_MAX);
  let results: { target: Target; response: PartitionAnswer; bytes: number }[];
  for (;;) {
    let budget = maxBytes;
    let total = 0;
    results = [];
    for (const target of targets) {
      const r = await readPartition(ctx, target, budget, readCommitted);
      budget -= r.bytes;
      total += r.bytes;
      results.push({ target, ...r });
    }
    const anyError = results.some((r) => r.response.errorCode !== 0);
    const remaining = deadline - Date.now();
    if (total >= Math.max(1, request.minBytes) || anyError || remaining <= 0 || ctx.shutdown.aborted) break;
    await waitForAny(ctx.logs, targets.filter((t) => t.errorCode === undefined).map((t) => ({ topic: t.topic, partition: t.partition, offset: t.fetchOffset })), remaining, ctx.shutdown);
  }
  for (const { target, bytes } of results) if (bytes > 0) ctx.metrics.served(target.topic, "kafka", bytes);
  if (version < FIRST_BATCH_VERSION) {
    for (const r of results) {
      if (r.response.records.length > 0) r.response.records = await downConverted(ctx, r.target, r.response.records, version < 2 ? 0 : 1);
    }
  }
  ctx.metrics.fetchLatency.observe({ source: "kafka" }, (performance.now() - started) / 1000);
  const byTopic = new Map<string, FetchResponse.FetchableTopicResponse & { partitions: FetchResponse.PartitionData[] }>();
  for (const { target, response } of results) {
    if (incremental) {
      const unchanged = response.errorCode === 0 && response.records.length === 0 &&
        Number(response.highWatermark) === target.sentHighWatermark && Number(response.logStartOffset) === target.sentLogStartOffset;
      if (unchanged) continue;
    }
    if (session) {
      const entry = session.partitions.get(TopicPartition.key(target.topic, target.partition));
      if (entry) {
        entry.sentHighWatermark = Number(response.highWatermark);
        entry.sentLogStartOffset = Number(response.logStartOffset);
      }
    }
    const key = useIds ? target.topicId : target.topic;
    let topic = byTopic.get(key);
    if (!topic) {
      topic = { topic: target.topic, topicId: target.topicId, partitions: [] };
      byTopic.set(key, topic);
    }
    topic.partitions.push(response);
  }
  return { throttleTimeMs: 0, errorCode: E.NONE, sessionId: session?.id ?? 0, responses: [...byTopic.values()] };
};
