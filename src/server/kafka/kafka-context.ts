import type { LogManager } from "../../log/log-manager.js";
import type { Message } from "../../protocol/message-codec.js";
import type { RequestHeader } from "../../protocol/kafka-frame.js";
import type { GroupCoordinator } from "../groups/group-coordinator.js";
import type { ProducerIds } from "./producer-ids.js";
import type { FetchSessions } from "./fetch-sessions.js";
import type { RecordValidation } from "../../schema/record-validation.js";
import type { BrokerMetrics } from "../metrics.js";

/** What every Kafka request handler may use. */
export interface KafkaContext {
  logs: LogManager;
  groups: GroupCoordinator;
  producerIds: ProducerIds;
  fetchSessions: FetchSessions;
  /** Validation on write against topics' JSON Schemas. */
  validation: RecordValidation;
  metrics: BrokerMetrics;
  nodeId: number;
  advertisedHost: string;
  advertisedPort: number;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  /** Aborted when the listener stops: long polls end early. */
  shutdown: AbortSignal;
}

export interface RequestInfo {
  header: RequestHeader;
  /** "ip:port" of the client, for log lines. */
  client: string;
}

/** Answers one decoded request; null means no response (Produce with acks=0). */
export type Handler = (ctx: KafkaContext, request: Message, info: RequestInfo) => Promise<Message | null> | Message | null;

export interface ApiEntry {
  name: string;
  /** Advertised range in ApiVersions. */
  minVersion: number;
  maxVersion: number;
  /** Lowest version actually decoded; below it (but advertised) the handler answers UNSUPPORTED_VERSION. */
  handler: Handler;
}
