// What the HTTP routes use: the engine, the registry, validation, metrics,
// consumers and groups, and the limits. A file of its own so that routes and
// the app that registers them do not import each other.

import type { LogStore } from "../../log/store.js";
import type { SchemaRegistry } from "../../schema/schema-registry.js";
import type { RecordValidation } from "../../schema/record-validation.js";
import type { BrokerMetrics } from "../metrics.js";
import type { HttpConsumers } from "./http-consumer.js";
import type { WritePath } from "../write-path.js";
import type { ArchiveStatusView } from "../../archive/archiver.js";
import type { GroupCoordinator } from "../groups/group-coordinator.js";
import type { GroupView } from "../groups/group-view.js";
import type { AutoCreate } from "./auto-create.js";
import type { Warehouse } from "../../warehouse/warehouse.js";
import type { HttpAccess } from "./http-auth.js";
import type { SecurityStore } from "../../security/security-store.js";

export interface HttpDeps {
  logs: LogStore;
  registry: SchemaRegistry;
  validation: RecordValidation;
  metrics: BrokerMetrics;
  consumers: HttpConsumers;
  groups: GroupCoordinator;
  /** Consumer groups as shown and checked: this broker's coordinator, or the cluster's. */
  groupView: GroupView;
  writePath: WritePath;
  bodyBytesMax: number;
  jsonDepthMax: number;
  requestTimeoutMs: number;
  /** Origins browsers may call the API from; empty: no CORS headers at all. */
  corsOrigins: string[];
  /** Create unknown topics on first produce or subscribe (auto.create.topics.enable). */
  autoCreate?: AutoCreate;
  /** Records of one streamed REST v3 produce being written at once. */
  streamedRecordsInFlightMax?: number;
  /** This broker as Kafka clients reach it (REST v3 lists it). */
  kafkaNode: { nodeId: number; host: string; port: number };
  /** The archive, when one is configured (GET /archive). */
  archive?: ArchiveStatusView;
  /** The SQLite warehouse, unless it is off (POST /sql, GET /warehouse). */
  warehouse?: Warehouse;
  /** In cluster mode: which instance writes the schema registry (writes are forwarded to it). */
  registryWriter?: { readonly isWriter: boolean; readonly writerUrlNow: string | undefined };
  /** Who may call what (credentials and ACLs); checks nothing while authentication is off. */
  access: HttpAccess;
  /** Users, ACLs and tokens (the token routes). */
  security?: SecurityStore;
  /** True while any partition refuses writes (for /readyz). */
  writesRefused?: () => string[];
}
