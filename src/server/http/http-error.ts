// One error type for the HTTP API, turned into a JSON response in one place
// (app.onError): { "error_code": <status + two digits>, "message": ... }, as
// Confluent's REST Proxy and Schema Registry answer. Anything else is a 500
// that is logged.

import { LogError } from "../../log/errors.js";
import { KafkaErrorCode } from "../../protocol/kafka-error-codes.js";
import { RegistryError } from "../../schema/schema-registry.js";

export class HttpError extends Error {
  constructor(readonly status: number, readonly errorCode: number, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

const UNAVAILABLE = new Set<number>([
  KafkaErrorCode.LEADER_NOT_AVAILABLE, KafkaErrorCode.NOT_LEADER_OR_FOLLOWER, KafkaErrorCode.REQUEST_TIMED_OUT,
  KafkaErrorCode.COORDINATOR_LOAD_IN_PROGRESS, KafkaErrorCode.COORDINATOR_NOT_AVAILABLE, KafkaErrorCode.NOT_COORDINATOR, KafkaErrorCode.NOT_ENOUGH_REPLICAS,
]);

/** Maps a storage error to the HTTP status and Confluent-style code a REST client expects. */
export function fromLogError(err: LogError): HttpError {
  switch (err.kafkaErrorCode) {
    case KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
      return new HttpError(404, err.message.includes("partition") ? 40402 : 40401, err.message);
    case KafkaErrorCode.TOPIC_ALREADY_EXISTS:
      return new HttpError(409, 40901, err.message);
    case KafkaErrorCode.MESSAGE_TOO_LARGE:
      return new HttpError(413, 41301, err.message);
    case KafkaErrorCode.OFFSET_OUT_OF_RANGE:
      return new HttpError(416, 41601, err.message);
    case KafkaErrorCode.KAFKA_STORAGE_ERROR:
      return new HttpError(503, 50301, err.message);
    default:
      // The storage (a Kafka cluster) is away or electing a leader: nothing was written, try again.
      if (UNAVAILABLE.has(err.kafkaErrorCode)) return new HttpError(503, 50303, err.message);
      return new HttpError(422, 42200 + Math.max(0, Math.min(99, err.kafkaErrorCode)), err.message);
  }
}

export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof RegistryError) return new HttpError(err.status, err.errorCode, err.message, err.details ? { messages: err.details } : {});
  if (err instanceof LogError) return fromLogError(err);
  return undefined;
}
