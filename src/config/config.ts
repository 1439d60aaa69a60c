// Broker settings: one typed place for their names, defaults and limits.
// Sources, later ones winning: built-in defaults, a JSON config file
// (--config or TRIBUTARY_CONFIG), environment variables (TRIBUTARY_*), flags.

import * as fs from "node:fs";

export interface BrokerConfig {
  dataDir: string;
  /** How often retention, compaction and checkpoints run. */
  maintenanceIntervalMs: number;
  partitionsPerTopicMax: number;
  /** Broker-wide defaults for topic configs, by Kafka name (validated by the log). */
  topicDefaults: Record<string, string>;
  host: string;
  /** Kafka protocol port; 0 picks a free one. */
  kafkaPort: number;
  /** Host clients are told to connect to (Metadata, FindCoordinator). */
  advertisedHost: string;
  /** Port clients are told to connect to; 0 means the bound Kafka port. */
  advertisedPort: number;
  nodeId: number;
  autoCreateTopics: boolean;
  /** Partitions of auto-created topics and of CreateTopics with -1 (Kafka's num.partitions). */
  defaultPartitions: number;
  groupInitialRebalanceDelayMs: number;
  groupSessionTimeoutMinMs: number;
  groupSessionTimeoutMaxMs: number;
  /** Largest Kafka request frame (Kafka's socket.request.max.bytes). */
  kafkaFrameBytesMax: number;
  /** How long a Kafka request may take to arrive whole, from its first byte, before the connection is closed. */
  kafkaRequestReadTimeoutMs: number;
  kafkaConnectionsMax: number;
  /** HTTP API port; 0 picks a free one. */
  httpPort: number;
  /** Largest HTTP request body. */
  httpBodyBytesMax: number;
  /** Directory of topic schemas to register at start (schemas as code); "" for none. */
  schemasDir: string;
  /** Bytes of Kafka requests read or being read, across all connections, before reading pauses (Kafka's queued.max.request.bytes). */
  kafkaQueuedRequestBytesMax: number;
  /** Unsent response bytes of one Kafka connection before it stops taking new requests. */
  kafkaConnectionResponseBytesMax: number;
  /** Origins allowed to call the HTTP API from a browser (CORS); none: CORS stays off. */
  httpCorsOrigins: string[];
  /** Most HTTP connections open at once. */
  httpConnectionsMax: number;
  /** How long a client may take to send an HTTP request's headers and body. */
  httpRequestTimeoutMs: number;
  /** Deepest nesting of arrays and objects accepted in a JSON body or a validated record value. */
  jsonDepthMax: number;
  /** Steps one schema compatibility decision may take before the schema is refused (422). */
  schemaCompatibilityStepsMax: number;
  /** Objects (subschemas) one registered schema may hold. */
  schemaNodesMax: number;
  /** Schemas one schema may reference, directly or through others. */
  schemaReferencesMax: number;
  /** Items (array elements, map entries, record fields) an Avro value may decode to per byte of it. */
  avroItemsPerByteMax: number;
  /** Records of one streamed REST v3 produce being written at once; the request is read no further meanwhile. */
  httpStreamedRecordsInFlightMax: number;
  /** Segment files (.log, .index, .timeindex) kept open at once; the least recently used close first. */
  segmentFilesOpenMax: number;
  /** s3://BUCKET/PREFIX every closed segment is archived to; "" for none. */
  archive: string;
  /** An S3-compatible endpoint URL (path-style addressing); "" for AWS S3. */
  s3Endpoint: string;
  /** How often the archiver looks for closed segments to upload. */
  archiveScanIntervalMs: number;
  /** Longest wait between attempts while the archive fails. */
  archiveRetryMaxMs: number;
  /** Cluster mode: an archived segment holds about this many bytes at most. */
  archiveChunkBytesMax: number;
  /** Cluster mode: a record waits this long at most before it is archived. */
  archiveChunkMs: number;
  /** Keep the SQLite warehouse. */
  warehouseEnabled: boolean;
  /** The warehouse file; "" for DATA_DIR/warehouse.db. */
  warehouse: string;
  /** Rows the loader writes in one transaction at most. */
  warehouseTransactionRowsMax: number;
  /** Stored bytes of records the loader writes in one transaction, about. */
  warehouseTransactionBytesMax: number;
  /** Share of the broker's thread the warehouse loader may take while it catches up. */
  warehouseLoadShareMax: number;
  /** Property columns one warehouse table may have. */
  warehouseColumnsMax: number;
  /** A statement sent to POST /sql (or `tributary sql`) is stopped after this long. */
  sqlTimeoutMs: number;
  /** Rows one answer holds at most (the answer says when it was cut). */
  sqlRowsMax: number;
  /** Bytes of rows one answer holds at most, about. */
  sqlResponseBytesMax: number;
  /** Memory the process running one statement may use. */
  sqlMemoryBytesMax: number;
  /** Statements running at once; more get 429. */
  sqlConcurrentMax: number;
  /** Least severe operations-log level written. */
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  /** Operations log as readable lines or as JSON lines. */
  logFormat: "text" | "json";
  /** host:port of a Kafka cluster's brokers (comma-separated) that keeps the records instead of the embedded log; "" for none. */
  kafkaCluster: string;
  /** The topic holding the schema registry's records (Confluent's kafkastore.topic). */
  registryTopic: string;
  /** Reach the Kafka cluster over TLS. */
  kafkaClusterTls: boolean;
  /** PEM file of the CA(s) that signed the cluster's certificates; "" for the system's. */
  kafkaClusterCa: string;
  /** PEM certificate (chain) of the Kafka and HTTP listeners; with tlsKey, both serve TLS. */
  tlsCert: string;
  /** PEM private key of tlsCert. */
  tlsKey: string;
  /** PEM file of the CA(s) client certificates must be signed by; set: clients must present one (mutual TLS). */
  tlsCa: string;
  /** SASL mechanisms Kafka clients must authenticate with (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512); none: no SASL. */
  saslMechanisms: string[];
  /** Principals every ACL check lets through ("User:admin"). */
  superUsers: string[];
  /** Longest a Kafka client's authenticated session lasts before it must re-authenticate (Kafka's connections.max.reauth.ms); 0: no limit. */
  saslReauthMs: number;
  /** With authentication on, /metrics still answers without credentials. */
  metricsOpen: boolean;
  /** Longest transaction timeout a producer may ask for (Kafka's transaction.max.timeout.ms). */
  transactionMaxTimeoutMs: number;
  /** Failed authentications one user name may have from one client address in a minute before its attempts from there are refused unchecked. */
  authFailuresPerMinuteMax: number;
  /** A Kafka connection must have authenticated this long after it opened, or it is closed. */
  authenticationTimeoutMs: number;
  /** How long a failed authentication waits before it is answered (Kafka's connection.failed.authentication.delay.ms). */
  authFailureDelayMs: number;
  /** User of the Kafka cluster (SASL) in cluster mode; the password comes from TRIBUTARY_KAFKA_CLUSTER_PASSWORD. */
  kafkaClusterUser: string;
  /** SASL mechanism for the Kafka cluster in cluster mode: plain, scram-sha-256 or scram-sha-512; "" for none. */
  kafkaClusterSasl: string;
}

export class ConfigError extends Error {}

interface Setting<T> {
  env: string;
  default: T;
  parse(raw: unknown, source: string): T;
  doc: string;
}

function text(raw: unknown, source: string): string {
  if (typeof raw !== "string" || raw.length === 0) throw new ConfigError(`${source}: expected a non-empty string`);
  return raw;
}

function integer(min: number, max: number) {
  return (raw: unknown, source: string): number => {
    const n = typeof raw === "number" ? raw : typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isInteger(n)) throw new ConfigError(`${source}: '${String(raw)}' is not an integer`);
    if (n < min || n > max) throw new ConfigError(`${source}: ${n} is outside [${min}, ${max}]`);
    return n;
  };
}

function fraction(raw: unknown, source: string): number {
  const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new ConfigError(`${source}: '${String(raw)}' is not a number in (0, 1]`);
  return n;
}

function boolean(raw: unknown, source: string): boolean {
  if (typeof raw === "boolean") return raw;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigError(`${source}: '${String(raw)}' is not true or false`);
}

function oneOf<T extends string>(...choices: T[]) {
  return (raw: unknown, source: string): T => {
    if (typeof raw === "string" && (choices as string[]).includes(raw)) return raw as T;
    throw new ConfigError(`${source}: '${String(raw)}' is not one of ${choices.join(", ")}`);
  };
}

function keyValues(raw: unknown, source: string): Record<string, string> {
  if (Array.isArray(raw)) {
    const out: Record<string, string> = {};
    for (const item of raw) {
      const s = text(item, source);
      const eq = s.indexOf("=");
      if (eq <= 0) throw new ConfigError(`${source}: '${s}' is not KEY=VALUE`);
      out[s.slice(0, eq)] = s.slice(eq + 1);
    }
    return out;
  }
  if (raw && typeof raw === "object") {
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
  }
  throw new ConfigError(`${source}: expected an object of topic config names to values`);
}

export const BROKER_SETTINGS: { [K in keyof BrokerConfig]: Setting<BrokerConfig[K]> } = {
  dataDir: { env: "TRIBUTARY_DATA_DIR", default: "./data", parse: text, doc: "directory holding the log, metadata and offsets" },
  maintenanceIntervalMs: {
    env: "TRIBUTARY_MAINTENANCE_INTERVAL_MS", default: 10_000, parse: integer(100, 24 * 60 * 60 * 1000),
    doc: "how often retention, compaction and recovery checkpoints run",
  },
  partitionsPerTopicMax: { env: "TRIBUTARY_PARTITIONS_PER_TOPIC_MAX", default: 1000, parse: integer(1, 100_000), doc: "most partitions one topic may have" },
  topicDefaults: { env: "TRIBUTARY_TOPIC_DEFAULTS", default: {}, doc: "defaults for topic configs, e.g. retention.ms",
    parse: (raw, source) => keyValues(typeof raw === "string" ? raw.split(",").filter(Boolean) : raw, source) },
  host: { env: "TRIBUTARY_HOST", default: "127.0.0.1", parse: text, doc: "address the listeners bind to" },
  kafkaPort: { env: "TRIBUTARY_KAFKA_PORT", default: 9092, parse: integer(0, 65535), doc: "Kafka protocol port (0: any free port)" },
  advertisedHost: { env: "TRIBUTARY_ADVERTISED_HOST", default: "127.0.0.1", parse: text, doc: "host Kafka clients are told to connect to" },
  advertisedPort: { env: "TRIBUTARY_ADVERTISED_PORT", default: 0, parse: integer(0, 65535), doc: "port Kafka clients are told to connect to (0: the Kafka port)" },
  nodeId: { env: "TRIBUTARY_NODE_ID", default: 0, parse: integer(0, 2 ** 31 - 1), doc: "this broker's node id" },
  autoCreateTopics: { env: "TRIBUTARY_AUTO_CREATE_TOPICS", default: true, parse: boolean, doc: "create unknown topics when a client asks for their metadata" },
  defaultPartitions: { env: "TRIBUTARY_DEFAULT_PARTITIONS", default: 1, parse: integer(1, 100_000), doc: "partitions of auto-created topics" },
  groupInitialRebalanceDelayMs: { env: "TRIBUTARY_GROUP_INITIAL_REBALANCE_DELAY_MS", default: 3000, parse: integer(0, 300_000),
    doc: "how long the first rebalance of an empty group waits for more members" },
  groupSessionTimeoutMinMs: { env: "TRIBUTARY_GROUP_SESSION_TIMEOUT_MIN_MS", default: 6000, parse: integer(1, 3_600_000), doc: "shortest session timeout a consumer may ask for" },
  kafkaFrameBytesMax: { env: "TRIBUTARY_KAFKA_FRAME_BYTES_MAX", default: 100 * 1024 * 1024, parse: integer(1024, 2 ** 31 - 1), doc: "largest Kafka request accepted, in bytes" },
  kafkaRequestReadTimeoutMs: { env: "TRIBUTARY_KAFKA_REQUEST_READ_TIMEOUT_MS", default: 30_000, parse: integer(10, 3_600_000),
    doc: "a request must arrive whole within this time of its first byte, or the connection is closed" },
  kafkaConnectionsMax: { env: "TRIBUTARY_KAFKA_CONNECTIONS_MAX", default: 20_000, parse: integer(1, 1_000_000), doc: "most Kafka connections open at once" },
  httpPort: { env: "TRIBUTARY_HTTP_PORT", default: 8080, parse: integer(0, 65535), doc: "HTTP API port (0: any free port)" },
  httpBodyBytesMax: { env: "TRIBUTARY_HTTP_BODY_BYTES_MAX", default: 8 * 1024 * 1024, parse: integer(1024, 1024 ** 3), doc: "largest HTTP request body, in bytes" },
  schemasDir: { env: "TRIBUTARY_SCHEMAS", default: "", parse: (raw) => String(raw), doc: "directory of <topic>.json schemas to register at start" },
  kafkaQueuedRequestBytesMax: { env: "TRIBUTARY_KAFKA_QUEUED_REQUEST_BYTES_MAX", default: 512 * 1024 * 1024, parse: integer(1024, 2 ** 40),
    doc: "bytes of Kafka requests held across all connections before reading pauses" },
  kafkaConnectionResponseBytesMax: { env: "TRIBUTARY_KAFKA_CONNECTION_RESPONSE_BYTES_MAX", default: 16 * 1024 * 1024, parse: integer(1024, 2 ** 40),
    doc: "unsent response bytes of one Kafka connection before it takes no new request" },
  httpCorsOrigins: { env: "TRIBUTARY_HTTP_CORS_ORIGINS", default: [], doc: "origins browsers may call the HTTP API from (comma-separated; none: CORS off)",
    parse: (raw, source) => (Array.isArray(raw) ? raw : text(raw, source).split(",")).map((o) => text(String(o).trim(), source)) },
  httpConnectionsMax: { env: "TRIBUTARY_HTTP_CONNECTIONS_MAX", default: 1000, parse: integer(1, 1_000_000), doc: "most HTTP connections open at once" },
  httpRequestTimeoutMs: { env: "TRIBUTARY_HTTP_REQUEST_TIMEOUT_MS", default: 30_000, parse: integer(10, 3_600_000),
    doc: "time a client has to send an HTTP request's headers and body" },
  jsonDepthMax: { env: "TRIBUTARY_JSON_DEPTH_MAX", default: 64, parse: integer(2, 10_000), doc: "deepest nesting of arrays and objects in a JSON body or record value" },
  schemaCompatibilityStepsMax: { env: "TRIBUTARY_SCHEMA_COMPATIBILITY_STEPS_MAX", default: 100_000, parse: integer(100, 100_000_000),
    doc: "steps one schema compatibility check may take before the schema is refused" },
  schemaNodesMax: { env: "TRIBUTARY_SCHEMA_NODES_MAX", default: 5000, parse: integer(10, 10_000_000), doc: "objects (subschemas) one registered schema may hold" },
  schemaReferencesMax: { env: "TRIBUTARY_SCHEMA_REFERENCES_MAX", default: 1000, parse: integer(1, 1_000_000), doc: "schemas one schema may reference, directly or through others" },
  avroItemsPerByteMax: { env: "TRIBUTARY_AVRO_ITEMS_PER_BYTE_MAX", default: 64, parse: integer(1, 1_000_000),
    doc: "items (array elements, map entries, record fields) an Avro value may decode to per byte of it" },
  httpStreamedRecordsInFlightMax: { env: "TRIBUTARY_HTTP_STREAMED_RECORDS_IN_FLIGHT_MAX", default: 1000, parse: integer(1, 1_000_000),
    doc: "records of one streamed REST v3 produce being written at once" },
  segmentFilesOpenMax: { env: "TRIBUTARY_SEGMENT_FILES_OPEN_MAX", default: 1024, parse: integer(16, 1_000_000),
    doc: "segment files kept open at once (least recently used close first)" },
  groupSessionTimeoutMaxMs: { env: "TRIBUTARY_GROUP_SESSION_TIMEOUT_MAX_MS", default: 1_800_000, parse: integer(1, 3_600_000), doc: "longest session timeout a consumer may ask for" },
  archive: { env: "TRIBUTARY_ARCHIVE", default: "", parse: (raw) => String(raw), doc: "s3://BUCKET/PREFIX to archive every closed segment to (none: no archive)" },
  s3Endpoint: { env: "TRIBUTARY_S3_ENDPOINT", default: "", parse: (raw) => String(raw), doc: "URL of an S3-compatible store (path-style addressing); none: AWS S3" },
  archiveScanIntervalMs: { env: "TRIBUTARY_ARCHIVE_SCAN_INTERVAL_MS", default: 1000, parse: integer(10, 3_600_000),
    doc: "how often the archiver looks for closed segments to upload" },
  archiveRetryMaxMs: { env: "TRIBUTARY_ARCHIVE_RETRY_MAX_MS", default: 30_000, parse: integer(10, 3_600_000),
    doc: "longest wait between attempts to upload to an archive that fails" },
  archiveChunkBytesMax: { env: "TRIBUTARY_ARCHIVE_CHUNK_BYTES_MAX", default: 64 * 1024 * 1024, parse: integer(1024, 2 ** 31 - 1),
    doc: "with --kafka-cluster and --archive: an archived segment holds about this many bytes at most" },
  archiveChunkMs: { env: "TRIBUTARY_ARCHIVE_CHUNK_MS", default: 600_000, parse: integer(10, 7 * 24 * 3_600_000),
    doc: "with --kafka-cluster and --archive: a record waits this long at most before it is archived" },
  warehouseEnabled: { env: "TRIBUTARY_WAREHOUSE_ENABLED", default: true, parse: boolean, doc: "keep a SQLite warehouse of every topic (--no-warehouse: off)" },
  warehouse: { env: "TRIBUTARY_WAREHOUSE", default: "", parse: (raw) => String(raw), doc: "the warehouse's SQLite file (default DATA_DIR/warehouse.db)" },
  warehouseTransactionRowsMax: { env: "TRIBUTARY_WAREHOUSE_TRANSACTION_ROWS_MAX", default: 5000, parse: integer(1, 1_000_000),
    doc: "rows the warehouse loader writes in one transaction at most" },
  warehouseTransactionBytesMax: { env: "TRIBUTARY_WAREHOUSE_TRANSACTION_BYTES_MAX", default: 256 * 1024, parse: integer(1024, 1024 ** 3),
    doc: "stored bytes of records the warehouse loader writes in one transaction, about (a transaction holds the broker's thread while it runs)" },
  warehouseLoadShareMax: { env: "TRIBUTARY_WAREHOUSE_LOAD_SHARE_MAX", default: 0.25, parse: fraction,
    doc: "share of the broker's thread the warehouse loader may take while it catches up (1: as much as it can)" },
  warehouseColumnsMax: { env: "TRIBUTARY_WAREHOUSE_COLUMNS_MAX", default: 500, parse: integer(0, 1900),
    doc: "columns from schema properties one warehouse table may have" },
  sqlTimeoutMs: { env: "TRIBUTARY_SQL_TIMEOUT_MS", default: 5000, parse: integer(10, 3_600_000), doc: "a warehouse statement is stopped after this long" },
  sqlRowsMax: { env: "TRIBUTARY_SQL_ROWS_MAX", default: 10_000, parse: integer(1, 10_000_000), doc: "rows one warehouse answer holds at most (it says when it was cut)" },
  sqlResponseBytesMax: { env: "TRIBUTARY_SQL_RESPONSE_BYTES_MAX", default: 32 * 1024 * 1024, parse: integer(1024, 2 ** 31 - 1),
    doc: "bytes of rows one warehouse answer holds at most, about (it says when it was cut)" },
  sqlMemoryBytesMax: { env: "TRIBUTARY_SQL_MEMORY_BYTES_MAX", default: 1024 * 1024 * 1024, parse: integer(64 * 1024 * 1024, 2 ** 40),
    doc: "memory the process running one warehouse statement may use before it is stopped" },
  sqlConcurrentMax: { env: "TRIBUTARY_SQL_CONCURRENT_MAX", default: 4, parse: integer(1, 1000), doc: "warehouse statements running at once (more are answered 429)" },
  logLevel: { env: "TRIBUTARY_LOG_LEVEL", default: "info", parse: oneOf("trace", "debug", "info", "warn", "error", "fatal", "silent"),
    doc: "least severe operations-log level written: trace, debug, info, warn, error, fatal or silent" },
  logFormat: { env: "TRIBUTARY_LOG_FORMAT", default: "text", parse: oneOf("text", "json"), doc: "operations log as readable text or JSON lines" },
  kafkaCluster: { env: "TRIBUTARY_KAFKA_CLUSTER", default: "", parse: (raw) => String(raw),
    doc: "HOST:PORT[,HOST:PORT...] of a Kafka cluster that keeps topics, records, group offsets and schemas instead of the embedded log" },
  kafkaClusterTls: { env: "TRIBUTARY_KAFKA_CLUSTER_TLS", default: false, parse: boolean, doc: "with --kafka-cluster: connect to its brokers over TLS" },
  kafkaClusterCa: { env: "TRIBUTARY_KAFKA_CLUSTER_CA", default: "", parse: (raw) => String(raw), doc: "with --kafka-cluster-tls: PEM file of the CA that signed the brokers' certificates (default: the system's CAs)" },
  tlsCert: { env: "TRIBUTARY_TLS_CERT", default: "", parse: (raw) => String(raw), doc: "PEM certificate (chain) for TLS on the Kafka and HTTP listeners (with --tls-key)" },
  tlsKey: { env: "TRIBUTARY_TLS_KEY", default: "", parse: (raw) => String(raw), doc: "PEM private key of --tls-cert" },
  tlsCa: { env: "TRIBUTARY_TLS_CA", default: "", parse: (raw) => String(raw),
    doc: "PEM CA certificate(s): clients must present a certificate it signed; the principal is the certificate's subject" },
  saslMechanisms: { env: "TRIBUTARY_SASL_MECHANISMS", default: [], doc: "SASL mechanisms Kafka clients must authenticate with, comma-separated: plain, scram-sha-256, scram-sha-512 (none: no authentication)",
    parse: (raw, source) => {
      const list = (Array.isArray(raw) ? raw.map(String) : String(raw).split(",")).map((m) => m.trim().toUpperCase()).filter(Boolean);
      for (const m of list) if (!["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"].includes(m)) throw new ConfigError(`${source}: '${m}' is not one of plain, scram-sha-256, scram-sha-512`);
      return [...new Set(list)];
    } },
  superUsers: { env: "TRIBUTARY_SUPER_USERS", default: [], doc: "principals that pass every ACL check, comma-separated (User:admin,...)",
    parse: (raw, source) => {
      const list = (Array.isArray(raw) ? raw.map(String) : String(raw).split(",")).map((p) => p.trim()).filter(Boolean);
      for (const p of list) if (!/^[A-Za-z]+:.+/.test(p)) throw new ConfigError(`${source}: '${p}' is not a principal such as User:admin`);
      return list;
    } },
  saslReauthMs: { env: "TRIBUTARY_SASL_REAUTH_MS", default: 0, parse: integer(0, 2 ** 31 - 1),
    doc: "a Kafka client must re-authenticate within this time of its last authentication or be disconnected (connections.max.reauth.ms; 0: never)" },
  authFailuresPerMinuteMax: { env: "TRIBUTARY_AUTH_FAILURES_PER_MINUTE_MAX", default: 20, parse: integer(1, 1_000_000),
    doc: "failed authentications one user name may have from one client address in a minute; past it, its attempts from there are refused unchecked until the minute ends" },
  transactionMaxTimeoutMs: { env: "TRIBUTARY_TRANSACTION_MAX_TIMEOUT_MS", default: 900_000, parse: integer(1, 2 ** 31 - 1),
    doc: "longest transaction timeout a producer may ask for (Kafka's transaction.max.timeout.ms)" },
  authenticationTimeoutMs: { env: "TRIBUTARY_AUTHENTICATION_TIMEOUT_MS", default: 10_000, parse: integer(100, 3_600_000),
    doc: "with SASL on, a Kafka connection that has not authenticated this long after it opened is closed" },
  authFailureDelayMs: { env: "TRIBUTARY_AUTH_FAILURE_DELAY_MS", default: 100, parse: integer(0, 60_000),
    doc: "a failed authentication is answered after this delay (Kafka's connection.failed.authentication.delay.ms)" },
  metricsOpen: { env: "TRIBUTARY_METRICS_OPEN", default: false, parse: boolean, doc: "with authentication on, /metrics answers without credentials" },
  kafkaClusterUser: { env: "TRIBUTARY_KAFKA_CLUSTER_USER", default: "", parse: (raw) => String(raw), doc: "with --kafka-cluster-sasl: the user (password from TRIBUTARY_KAFKA_CLUSTER_PASSWORD)" },
  kafkaClusterSasl: { env: "TRIBUTARY_KAFKA_CLUSTER_SASL", default: "", parse: (raw, source) => {
    const m = String(raw).trim().toLowerCase();
    if (m && !["plain", "scram-sha-256", "scram-sha-512"].includes(m)) throw new ConfigError(`${source}: '${m}' is not one of plain, scram-sha-256, scram-sha-512`);
    return m;
  }, doc: "with --kafka-cluster: authenticate to its brokers with SASL plain, scram-sha-256 or scram-sha-512" },
  registryTopic: { env: "TRIBUTARY_REGISTRY_TOPIC", default: "_schemas", parse: text,
    doc: "with --kafka-cluster: the topic of the schema registry's records (Confluent's kafkastore.topic)" },
};

export interface ConfigSources {
  /** Values from command-line flags (undefined when not given). */
  flags?: Partial<Record<keyof BrokerConfig, unknown>>;
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; TRIBUTARY_CONFIG when not given. */
  configFile?: string;
}

function readConfigFile(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(`config file ${file}: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new ConfigError(`config file ${file}: expected a JSON object`);
  for (const key of Object.keys(parsed)) {
    if (!(key in BROKER_SETTINGS)) throw new ConfigError(`config file ${file}: unknown setting '${key}' (known: ${Object.keys(BROKER_SETTINGS).join(", ")})`);
  }
  return parsed as Record<string, unknown>;
}

export function loadConfig(sources: ConfigSources = {}): BrokerConfig {
  const env = sources.env ?? process.env;
  const file = sources.configFile ?? env.TRIBUTARY_CONFIG;
  const fromFile = file ? readConfigFile(file) : {};
  const config = {} as Record<string, unknown>;
  for (const [name, setting] of Object.entries(BROKER_SETTINGS) as [keyof BrokerConfig, Setting<unknown>][]) {
    const flag = sources.flags?.[name];
    // Each source that sets it, lowest first: the file, the environment, the flags.
    const given: unknown[] = [];
    if (fromFile[name] !== undefined) given.push(setting.parse(fromFile[name], `${file}: ${name}`));
    if (env[setting.env] !== undefined) given.push(setting.parse(env[setting.env], setting.env));
    if (flag !== undefined) given.push(setting.parse(flag, `--${kebab(name)}`));
    if (given.length === 0) config[name] = setting.default;
    // A map (topic defaults) is merged key by key, the later source winning; anything else is replaced whole.
    else if (given.every((v) => v !== null && typeof v === "object" && !Array.isArray(v))) config[name] = Object.assign({}, ...given);
    else config[name] = given[given.length - 1];
  }
  return config as unknown as BrokerConfig;
}

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
