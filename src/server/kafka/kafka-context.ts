// What a Kafka request handler is given (the context, its request, who sent
// it) and what it answers, typed per API from the generated message types.
// One file per API in handlers/; the API table wires each to its key.

import type { Actor } from "../../ops/ops-log.js";
import type { LogStore } from "../../log/store.js";
import type { Message } from "../../protocol/message-codec.js";
import type { ApiMessages } from "../../protocol/generated/message-types.js";
import type { RequestHeader } from "../../protocol/kafka-frame.js";
import type { GroupCoordinator } from "../groups/group-coordinator.js";
import type { ProducerIds } from "./producer-ids.js";
import type { FetchSessions } from "./fetch-sessions.js";
import type { RecordValidation } from "../../schema/record-validation.js";
import type { BrokerMetrics } from "../metrics.js";
import type { WritePath } from "../write-path.js";
import type { Authentication, SaslExchange } from "../../security/authentication.js";
import { ANONYMOUS, type Authorizer, type Session } from "../../security/acl.js";
import type { SecurityStore } from "../../security/security-store.js";
import type { TransactionCoordinator } from "../transactions/transaction-coordinator.js";

/** What every Kafka request handler may use. */
export interface KafkaContext {
  logs: LogStore;
  groups: GroupCoordinator;
  producerIds: ProducerIds;
  fetchSessions: FetchSessions;
  /** Validation on write against topics' schemas (the write path uses it; the registry behind it is shared with HTTP). */
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
  /** The directory DescribeLogDirs names (the data dir). */
  logDir: string;
  /** Who clients are (SASL, certificates) and the users behind it. */
  auth: Authentication;
  /** What each principal may do (ACLs); allows everything while authentication is off. */
  authorizer: Authorizer;
  security: SecurityStore;
  /** The transaction coordinator (absent where the store has no transaction state). */
  transactions?: TransactionCoordinator;
  /** Aborted when the listener stops: long polls end early. */
  shutdown: AbortSignal;
}

export interface RequestInfo {
  header: RequestHeader;
  /** "ip:port" of the client, for log lines. */
  client: string;
  /** The connection's authentication state: who it is, once it has said. */
  session: ConnectionSession;
}

/** A connection's identity and where its SASL exchange stands. */
export interface ConnectionSession extends Session {
  authenticated: boolean;
  /** The SASL exchange under way (after SaslHandshake). */
  exchange?: SaslExchange;
  /** After SaslHandshake v0 the tokens come bare, size-prefixed without a request header. */
  rawTokens: boolean;
  /** When the client must have re-authenticated (connections.max.reauth.ms); Infinity: never. */
  expiresAtMs: number;
  /** Set by a handler: the connection closes once this answer is written (a failed authentication). */
  closeAfterAnswer?: string;
}

/** Who sent a request, for the admin lines of the operations log. */
export function kafkaActor(info: RequestInfo): Actor {
  // While authentication is off every connection is User:ANONYMOUS: logged as "anonymous", as over HTTP.
  return { principal: info.session.principal === ANONYMOUS ? "anonymous" : info.session.principal, from: info.client, clientId: info.header.clientId ?? undefined, via: "kafka" };
}

export type ApiName = keyof ApiMessages;

/** Answers one decoded request of API `A`; null means no response (Produce with acks=0). */
export type Handler<A extends ApiName> = (ctx: KafkaContext, request: ApiMessages[A]["request"], info: RequestInfo) =>
  Promise<ApiMessages[A]["response"] | null> | ApiMessages[A]["response"] | null;

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiEntry {
  name: ApiName;
  /** Range advertised in ApiVersions; every version in it is decoded and answered. */
  minVersion: number;
  maxVersion: number;
  /** The listener decodes each request with the schema of `name`, so the message it passes has that API's request type. */
  handle(ctx: KafkaContext, request: Message, info: RequestInfo): Promise<Message | null> | Message | null;
}
