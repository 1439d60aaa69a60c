// One write path for records from every door: a Kafka producer's batch and an
// HTTP publish both come here. A topic whose subject `<topic>-value` has a
// schema gets every value checked, and its `schema.invalid.policy` decides
// what becomes of records that fail: `reject` refuses them all (nothing is
// written), `dead-letter` writes them to `<topic>.dlq` with the reason in the
// `tributary.error` header and writes the rest to the topic.
//
// A producer's batch keeps its shape when records are taken out of it: the
// valid ones keep their offset deltas, so the offsets the producer is told
// stay its own and its sequence numbers keep counting every record it sent
// (Kafka's compaction leaves batches with gaps the same way).

import { TopicPartition, type AppendResult, type LogStore } from "../log/store.js";
import { InvalidRecordError, decompressionRefusal } from "../log/errors.js";
import { decodeRecordBatch, encodeRecordBatch, type DecodedBatch, type PlainRecord, type RecordHeader } from "../protocol/record-batch-codec.js";
import { TIMESTAMP_TYPE_BIT } from "../protocol/record-batch-header.js";
import { partitionForKey } from "../protocol/murmur2.js";
import type { RecordValidation, RecordVerdict } from "../schema/record-validation.js";
import type { RecordAccumulator } from "./record-accumulator.js";
import type { Source } from "./metrics.js";

/** Records that fail their topic's schema, under `schema.invalid.policy=reject`: INVALID_RECORD, HTTP 422. */
export class SchemaViolationError extends InvalidRecordError {
  constructor(readonly topic: string, readonly verdicts: RecordVerdict[], readonly recordCount: number) {
    const first = verdicts[0]!;
    super(`${verdicts.length} of ${recordCount} records fail the schema of topic '${topic}'; nothing was written; ` +
      `record ${first.index}: ${first.errors.map((e) => `${e.instancePath} ${e.message}`).join("; ")}`, first.index);
  }
}

/** A record to write, on the partition it names or one chosen from its key. */
export interface RecordToWrite extends PlainRecord {
  headers: RecordHeader[];
  partition?: number;
}

export interface WrittenRecord {
  partition: number;
  offset: number;
}

export interface DeadLetter extends WrittenRecord {
  /** Position of the record in what was sent (request or batch). */
  index: number;
  /** Where it went: `<topic>.dlq`. */
  topic: string;
}

export interface PublishOutcome {
  /** One entry per record, in request order; null for a dead-lettered record. */
  offsets: (WrittenRecord | null)[];
  deadLettered: DeadLetter[];
}

export interface BatchOutcome {
  /** The topic append; undefined when every record went to the dead-letter topic and nothing needed writing. */
  result: AppendResult | undefined;
  deadLettered: DeadLetter[];
}

/** Idempotent batches whose dead letters are remembered, so a producer's retry does not write them again. */
const RECENT_DEAD_LETTER_BATCHES_MAX = 10_000;

export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export class WritePath {
  constructor(
    private readonly logs: LogStore,
    private readonly validation: RecordValidation,
    private readonly accumulator: RecordAccumulator,
  ) {}

  /**
   * Plain records (HTTP): checked, placed on partitions the way Kafka
   * producers place them (murmur2 of the key; records without a key stick to
   * one partition per call), batched with other callers' records, and
   * resolved once durable.
   */
  async publish(topic: string, records: RecordToWrite[], source: string): Promise<PublishOutcome> {
    const verdicts = this.validation.requiresValidation(topic) ? this.validation.check(topic, records.map((r) => r.value), source) : [];
    if (verdicts.length === 0) return { offsets: await this.appendRecords(topic, records, "http"), deadLettered: [] };
    this.refuseUnlessDeadLettering(topic, verdicts, records.length);
    const invalid = new Set(verdicts.map((v) => v.index));
    const valid = records.filter((_, i) => !invalid.has(i));
    const [written, deadLettered] = await Promise.all([
      valid.length ? this.appendRecords(topic, valid, "http") : [],
      this.deadLetter(topic, verdicts, records, "http"),
    ]);
    let v = 0;
    return { offsets: records.map((_, i) => (invalid.has(i) ? null : written[v++]!)), deadLettered };
  }

  /**
   * A producer's batch for one partition (Kafka). Batches of one partition
   * are checked in arrival order, so checking never reorders appends.
   */
  produceBatch(topic: string, partition: number, batch: Buffer, source: string): Promise<BatchOutcome> {
    const log = this.logs.partition(topic, partition);
    if (!this.validation.requiresValidation(topic)) return log.append(batch).then((result) => ({ result, deadLettered: [] }));
    return this.validation.inOrder(topic, partition, async () => {
      const decoded = await decodeProducedBatch(batch, log.topicConfig.maxMessageBytes);
      const verdicts = this.validation.check(topic, decoded.records.map((r) => r.value), source);
      // The batch was inflated once, here: the store checks the same bytes without inflating them again.
      if (verdicts.length === 0) return { result: await log.append(batch, { decompressedRecords: decoded.section }), deadLettered: [] };
      this.refuseUnlessDeadLettering(topic, verdicts, decoded.records.length);
      const invalid = new Set(verdicts.map((v) => v.index));
      const { header } = decoded;
      const idempotent = header.producerId >= 0;
      const retryKey = idempotent ? `${TopicPartition.key(topic, partition)}\u0000${header.producerId}\u0000${header.producerEpoch}\u0000${header.baseSequence}` : undefined;
      // A producer's retry of a batch whose dead letters are written already: the append below is
      // answered as a duplicate, and the dead letters are not written twice.
      let deadLettered = retryKey !== undefined ? this.recentDeadLetters.get(retryKey) : undefined;
      if (!deadLettered) {
        // The dead letters first: a failure after them makes the producer retry, which (after a
        // restart, when the note above is gone) may dead-letter a record twice but never loses one.
        const records = decoded.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }));
        deadLettered = await this.deadLetter(topic, verdicts, records, "kafka");
        if (retryKey !== undefined) this.remember(retryKey, deadLettered);
      }
      if (invalid.size === decoded.records.length && !idempotent) return { result: undefined, deadLettered };
      const kept = await keptRecords(decoded, invalid);
      return { result: await log.append(kept, { sparse: true }), deadLettered };
    });
  }

  /** Dead letters written for recent idempotent batches, oldest first (a Map keeps insertion order). */
  private readonly recentDeadLetters = new Map<string, DeadLetter[]>();

  private remember(key: string, deadLettered: DeadLetter[]): void {
    this.recentDeadLetters.set(key, deadLettered);
    if (this.recentDeadLetters.size > RECENT_DEAD_LETTER_BATCHES_MAX) this.recentDeadLetters.delete(this.recentDeadLetters.keys().next().value!);
  }

  private refuseUnlessDeadLettering(topic: string, verdicts: RecordVerdict[], recordCount: number): void {
    if (this.logs.partition(topic, 0).topicConfig.schemaInvalidPolicy !== "dead-letter") throw new SchemaViolationError(topic, verdicts, recordCount);
  }

  /** Writes the failed records to `<topic>.dlq` (created when missing), each with why it failed and where it came from. */
  private async deadLetter(topic: string, verdicts: RecordVerdict[], records: (PlainRecord & { headers?: RecordHeader[] })[], source: Source): Promise<DeadLetter[]> {
    const dlq = deadLetterTopic(topic);
    if (!this.logs.hasTopic(dlq)) {
      await this.logs.createTopic(dlq).catch((err: Error) => {
        // Another writer may have made it meanwhile; anything else is a real failure.
        if (!this.logs.hasTopic(dlq)) throw err;
      });
    }
    const dead = verdicts.map((v) => ({
      ...records[v.index]!,
      partition: undefined,
      headers: [...records[v.index]!.headers ?? [],
        { key: "tributary.error", value: Buffer.from(JSON.stringify(v.errors)) },
        { key: "tributary.source.topic", value: Buffer.from(topic) }],
    }));
    const written = await this.appendRecords(dlq, dead, source);
    return verdicts.map((v, i) => ({ index: v.index, topic: dlq, ...written[i]! }));
  }

  private async appendRecords(topic: string, records: RecordToWrite[], source: Source): Promise<WrittenRecord[]> {
    const partitions = this.logs.partitionCount(topic);
    const sticky = Math.floor(Math.random() * partitions);
    const byPartition = new Map<number, { index: number; record: PlainRecord }[]>();
    records.forEach((r, index) => {
      const partition = r.partition ?? (r.key ? partitionForKey(r.key, partitions) : sticky);
      const list = byPartition.get(partition) ?? [];
      list.push({ index, record: { key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp } });
      byPartition.set(partition, list);
    });
    const results: WrittenRecord[] = new Array(records.length);
    await Promise.all([...byPartition.entries()].map(async ([partition, list]) => {
      const baseOffset = await this.accumulator.append(topic, partition, list.map((l) => l.record), source);
      list.forEach((l, i) => (results[l.index] = { partition, offset: baseOffset + i }));
    }));
    return results;
  }
}

/** Decodes a producer's batch with the limit the store checks it with. */
async function decodeProducedBatch(batch: Buffer, maxMessageBytes: number): Promise<DecodedBatch> {
  try {
    return await decodeRecordBatch(batch, maxMessageBytes);
  } catch (err) {
    throw decompressionRefusal(err);
  }
}

/** The producer's batch without the records at `taken`: same producer, sequence, codec and offset span. */
function keptRecords(decoded: DecodedBatch, taken: Set<number>): Promise<Buffer> {
  const { header } = decoded;
  const kept = decoded.records.map((r, index) => ({ r, index })).filter(({ index }) => !taken.has(index));
  return encodeRecordBatch(kept.map(({ r }) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })), {
    compression: decoded.compression,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    logAppendTime: (header.attributes & TIMESTAMP_TYPE_BIT) !== 0,
    offsetDeltas: kept.map(({ r }) => r.offset - header.baseOffset),
    lastOffsetDelta: header.lastOffsetDelta,
  });
}
