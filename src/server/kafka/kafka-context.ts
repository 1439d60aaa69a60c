import type { LogStore } from "../../log/store.js";
import type { Message } from "../../protocol/message-codec.js";
import type { RequestHeader } from "../../protocol/kafka-frame.js";
import type { GroupCoordinator } from "../groups/group-coordinator.js";
import type { ProducerIds } from "./producer-ids.js";
import type { FetchSessions } from "./fetch-sessions.js";
import type { RecordValidation } from "../../schema/record-validation.js";
import type { BrokerMetrics } from "../metrics.js";
import type { WritePath } from "../write-path.js";

/** What every Kafka request handler may use. */
export interface KafkaContext {
  logs: LogStore;
  groups: GroupCoordinator;
  producerIds: ProducerIds;
  fetchSessions: FetchSessions;
  /** Validation on write against topics' JSON Schemas. */
  validation: RecordValidation;
  /** Where produced batches go: schema checks and dead letters, then the store. */
  writePath: WritePath;
  metrics: BrokerMetrics;
  nodeId: number;
  advertisedHost: string;
  advertisedPort: number;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  /** What ApiVersions advertises (from the API table, which names the handlers: passed in, so no handler imports the table). */
  apiVersions: ApiVersionRange[];
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

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiEntry {
  name: string;
  /** Range advertised in ApiVersions; every version in it is decoded and answered. */
  minVersion: number;
  maxVersion: number;
  handler: Handler;
}
