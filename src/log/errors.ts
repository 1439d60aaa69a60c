// One error hierarchy for the storage engine. Each error is an *operating
// error* (bad client bytes, unknown topic, disk trouble) with a stable code and
// the Kafka error code the protocol layer answers with. Broken invariants are
// not errors of this kind: they fail an assert() and crash loudly.

import { KafkaErrorCode, RETRIABLE_CODES } from "../protocol/kafka-error-codes.js";
import { CompressionError, DecompressedSizeError } from "../protocol/compression.js";
import { RecordDecodeError } from "../protocol/record-batch-codec.js";

export class LogError extends Error {
  constructor(
    /** Stable machine-readable code, e.g. "corrupt_batch". */
    readonly code: string,
    readonly kafkaErrorCode: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get retriable(): boolean {
    return RETRIABLE_CODES.has(this.kafkaErrorCode);
  }
}

/** The batch bytes are damaged: bad CRC, truncated, inconsistent lengths. */
export class CorruptBatchError extends LogError {
  constructor(message: string, readonly batchIndex = 0) {
    super("corrupt_batch", KafkaErrorCode.CORRUPT_MESSAGE, message);
  }
}

/** The batch is well formed but its content breaks a rule (counts, deltas, null key on a compacted topic). */
export class InvalidRecordError extends LogError {
  constructor(message: string, readonly batchIndex = 0) {
    super("invalid_record", KafkaErrorCode.INVALID_RECORD, message);
  }
}

/** An idempotent producer's sequence leaves a gap (or restarts an epoch anywhere but 0). */
export class OutOfOrderSequenceError extends LogError {
  constructor(message: string) {
    super("out_of_order_sequence", KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message);
  }
}

/** An idempotent producer writes with an epoch older than the partition has seen. */
export class InvalidProducerEpochError extends LogError {
  constructor(message: string) {
    super("invalid_producer_epoch", KafkaErrorCode.INVALID_PRODUCER_EPOCH, message);
  }
}

export class InvalidTimestampError extends LogError {
  constructor(message: string) {
    super("invalid_timestamp", KafkaErrorCode.INVALID_TIMESTAMP, message);
  }
}

export class MessageTooLargeError extends LogError {
  constructor(message: string) {
    super("message_too_large", KafkaErrorCode.MESSAGE_TOO_LARGE, message);
  }
}

export class OffsetOutOfRangeError extends LogError {
  constructor(readonly offset: number, readonly logStartOffset: number, readonly highWatermark: number) {
    super("offset_out_of_range", KafkaErrorCode.OFFSET_OUT_OF_RANGE,
      `offset ${offset} is outside the log [${logStartOffset}, ${highWatermark}]`);
  }
}

export class UnknownTopicError extends LogError {
  constructor(topic: string, partition?: number) {
    super("unknown_topic_or_partition", KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      partition === undefined ? `topic '${topic}' does not exist` : `partition ${topic}-${partition} does not exist`);
  }
}

/** The topic is still being created (its partitions are not open yet): retry, as with Kafka. */
export class LeaderNotAvailableError extends LogError {
  constructor(topic: string) {
    super("leader_not_available", KafkaErrorCode.LEADER_NOT_AVAILABLE, `topic '${topic}' is being created`);
  }
}

export class TopicExistsError extends LogError {
  constructor(topic: string) {
    super("topic_already_exists", KafkaErrorCode.TOPIC_ALREADY_EXISTS, `topic '${topic}' already exists`);
  }
}

export class InvalidTopicError extends LogError {
  constructor(message: string) {
    super("invalid_topic", KafkaErrorCode.INVALID_TOPIC_EXCEPTION, message);
  }
}

export class InvalidPartitionsError extends LogError {
  constructor(message: string) {
    super("invalid_partitions", KafkaErrorCode.INVALID_PARTITIONS, message);
  }
}

export class InvalidConfigError extends LogError {
  constructor(message: string) {
    super("invalid_config", KafkaErrorCode.INVALID_CONFIG, message);
  }
}

/** System errors that pass once their cause does (a full disk, too many open files): retry, never fence. */
const TRANSIENT_SYSTEM_CODES = new Set(["ENOSPC", "EDQUOT", "EMFILE", "ENFILE", "ENOMEM", "EAGAIN", "EINTR"]);

/** The system error code behind `err` (ENOSPC, EIO, ...), looking through a StorageError. */
function systemCodeOf(err: unknown): string | undefined {
  return err instanceof StorageError ? err.systemCode : (err as NodeJS.ErrnoException | undefined)?.code;
}

/** True when `err` passes by itself once its cause is gone (a full disk, too many open files). */
export function isTransientSystemError(err: unknown): boolean {
  const code = systemCodeOf(err);
  return code !== undefined && TRANSIENT_SYSTEM_CODES.has(code);
}

/** The disk failed under us, or stored bytes fail their CRC on read. */
export class StorageError extends LogError {
  /** The system error code behind it (ENOSPC, EIO, ...), when there was one. */
  readonly systemCode: string | undefined;

  constructor(message: string, cause?: unknown) {
    super("storage_error", KafkaErrorCode.KAFKA_STORAGE_ERROR, message);
    this.systemCode = systemCodeOf(cause);
  }

  /** True when the failure passes by itself once its cause is gone (the disk has room again, descriptors are free). */
  get transient(): boolean {
    return isTransientSystemError(this);
  }
}

/** Another process (or this one) already holds the data directory. */
export class DataDirLockedError extends LogError {
  constructor(message: string) {
    super("data_dir_locked", KafkaErrorCode.UNKNOWN_SERVER_ERROR, message);
  }
}

/** The log was closed (or its topic deleted) while the call waited. */
export class LogClosedError extends LogError {
  constructor(what: string) {
    super("log_closed", KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${what} is closed`);
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant broken: ${message}`);
}

/** The LogError a failed decompression of a producer's batch answers with. */
export function decompressionRefusal(err: unknown): unknown {
  if (err instanceof DecompressedSizeError) return new MessageTooLargeError(`compressed batch: ${err.message} (max.message.bytes)`);
  if (err instanceof CompressionError) return new CorruptBatchError(err.message);
  if (err instanceof RecordDecodeError) return new CorruptBatchError(err.message);
  return err;
}
