import { LogError } from "../../../log/errors.js";
import { KafkaErrorCode } from "../../../protocol/kafka-error-codes.js";
import { opsLog } from "../../../ops/ops-log.js";

/** The Kafka error code for a failure; anything that is not an operating error is logged loudly. */
export function errorCodeOf(err: unknown, what: string): number {
  if (err instanceof LogError) return err.kafkaErrorCode;
  if (err && typeof err === "object" && "kafkaErrorCode" in err) return (err as { kafkaErrorCode: number }).kafkaErrorCode;
  opsLog("kafka").error(`${what} failed: ${(err as Error)?.stack ?? String(err)}`);
  return KafkaErrorCode.UNKNOWN_SERVER_ERROR;
}

export function errorMessageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
