// A running Tributary broker: the storage engine, the group coordinator, the
// schema registry, the Kafka protocol listener and the HTTP API. Also the
// library entry point for embedding a broker in a Node or Bun process:
//
//   const broker = await startBroker({ kafkaPort: 0 });   // brokers: ["127.0.0.1:PORT"]
//   ... run Kafka clients against broker.brokers ...
//   await broker.stop();

import { configureOpsLog, opsLog } from "../ops/ops-log.js";
import { apiVersionsList } from "./kafka/api-table.js";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LogManager } from "../log/log-manager.js";
import type { LogStore } from "../log/store.js";
import { ConfigError, loadConfig, type BrokerConfig } from "../config/config.js";
import { GroupCoordinator } from "./groups/group-coordinator.js";
import { DEFAULT_LIMITS, KafkaListener } from "./kafka/kafka-listener.js";
import { ProducerIds } from "./kafka/producer-ids.js";
import { FetchSessions } from "./kafka/fetch-sessions.js";
import type { KafkaContext } from "./kafka/kafka-context.js";
import { SchemaRegistry } from "../schema/schema-registry.js";
import { RecordValidation } from "../schema/record-validation.js";
import { loadSchemaDirectory } from "../schema/schemas-as-code.js";
import { BrokerMetrics } from "./metrics.js";
import { buildHttpApp } from "./http/app.js";
import { RecordAccumulator } from "./record-accumulator.js";
import { WritePath } from "./write-path.js";
import { listenHttp } from "./http/listen.js";
import { HttpConsumers } from "./http/http-consumer.js";
import { Archiver } from "../archive/archiver.js";
import { StreamArchiver } from "../archive/stream-archiver.js";
import { TieredLogStore } from "../archive/tiered-store.js";
import { parseArchiveUrl, type ArchiveLocation } from "../archive/object-store.js";
import { Warehouse } from "../warehouse/warehouse.js";
import { valueSubject } from "../schema/record-validation.js";
import { KafkaClusterStore } from "../cluster/kafka-cluster-store.js";
import { clusterBrokers as brokersOf, openClusterStore } from "../cluster/cluster-config.js";
import { RegistryElection } from "../cluster/registry-election.js";
import { ClusterGroupView, ClusterMembership } from "../cluster/cluster-membership.js";
import { localGroupView } from "./groups/group-view.js";
import { localMembership } from "./groups/group-membership.js";
import { SecurityStore } from "../security/security-store.js";
import { Authentication, type SaslMechanism } from "../security/authentication.js";
import { Authorizer } from "../security/acl.js";
import { HttpAccess } from "./http/http-auth.js";
import { TransactionCoordinator } from "./transactions/transaction-coordinator.js";

export interface Broker {
  readonly config: BrokerConfig;
  /** The storage behind the servers, through its interface (src/log/store.ts). */
  readonly logs: LogStore;
  readonly groups: GroupCoordinator;
  readonly registry: SchemaRegistry;
  /** The SQLite warehouse, unless it is off. */
  readonly warehouse: Warehouse | undefined;
  /** "host:port" of the Kafka listener, as clients should use it. */
  readonly brokers: string[];
  readonly kafkaPort: number;
  /** Base URL of the HTTP API (REST, schema registry). */
  readonly httpUrl: string;
  /** host:port the Kafka listener is bound to. */
  readonly kafkaAddress: string;
  /** host:port the HTTP listener is bound to. */
  readonly httpAddress: string;
  /** Kafka requests served so far, by "ApiName vN". */
  kafkaRequestCounts(): Map<string, number>;
  stop(): Promise<void>;
}

export interface StartOptions extends Partial<BrokerConfig> {
  /** A temporary data directory, removed when the broker stops (CI stand-in). */
  ephemeral?: boolean;
}

/** The soft limit on open descriptors of this process (Linux), or undefined where it cannot be read. */
function openFilesLimit(): number | undefined {
  try {
    const line = fs.readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Fits the descriptor budget into the process's limit: half of it at most
 * for segment files, the rest (less a reserve for sockets and files of our
 * own) for connections, two thirds Kafka and one third HTTP. Limits set
 * higher than that are lowered, with a warning: a broker that runs out of
 * descriptors fails requests instead of refusing connections.
 */
function fitDescriptorBudget(config: BrokerConfig): void {
  const limit = openFilesLimit();
  if (limit === undefined) return;
  const reserve = 128;
  const segmentFilesOpenMax = Math.max(16, Math.min(config.segmentFilesOpenMax, Math.floor(limit / 2)));
  const room = Math.max(2, limit - segmentFilesOpenMax - reserve);
  const fitted = {
    segmentFilesOpenMax,
    kafkaConnectionsMax: Math.max(1, Math.min(config.kafkaConnectionsMax, Math.floor((room * 2) / 3))),
    httpConnectionsMax: Math.max(1, Math.min(config.httpConnectionsMax, Math.floor(room / 3))),
  };
  const lowered = (Object.entries(fitted) as [keyof typeof fitted, number][]).filter(([key, value]) => value < config[key]);
  if (lowered.length === 0) return;
  opsLog("broker").warn(`fitted to the limit of ${limit} open files (ulimit -n): ${lowered.map(([key, value]) => `${key} ${config[key]} -> ${value}`).join(", ")}`);
  for (const [key, value] of lowered) config[key] = value;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** The listeners' certificate, key and client CA, read from their files (ConfigError naming a file that cannot be read). */
function readTlsFiles(config: BrokerConfig): { cert: string; key: string; ca?: string } | undefined {
  if (!config.tlsCert && !config.tlsKey && !config.tlsCa) return undefined;
  if (!config.tlsCert || !config.tlsKey) throw new ConfigError("TLS needs both --tls-cert and --tls-key (--tls-ca adds client certificates)");
  const read = (flag: string, file: string) => {
    try {
      return fs.readFileSync(file, "utf8");
    } catch (err) {
      throw new ConfigError(`${flag} ${file}: ${(err as Error).message}`);
    }
  };
  return { cert: read("--tls-cert", config.tlsCert), key: read("--tls-key", config.tlsKey), ca: config.tlsCa ? read("--tls-ca", config.tlsCa) : undefined };
}

/** Longest one part of the broker may take to stop before the stop goes on without it. */
const STEP_STOP_MS = 10_000;

export async function startBroker(options: StartOptions = {}): Promise<Broker> {
  const { ephemeral, ...settings } = options;
  let tempDir: string | undefined;
  if (ephemeral) {
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-ephemeral-"));
    settings.dataDir = tempDir;
  }
  const config = loadConfig({ flags: settings });
  configureOpsLog({ level: config.logLevel, format: config.logFormat });
  // A CI stand-in is for this machine only, whatever the settings say.
  if (ephemeral) config.host = "127.0.0.1";
  fitDescriptorBudget(config);
  const tlsFiles = readTlsFiles(config);
  const authenticating = config.saslMechanisms.length > 0 || tlsFiles?.ca !== undefined;
  if (!isLoopback(config.host) && !authenticating) {
    opsLog("broker").warn(`WARNING: listening on ${config.host}, beyond this machine, and no authentication is configured: anyone who can reach it can read, write and delete every topic`);
  }
  let location: ArchiveLocation | undefined;
  if (config.archive) {
    try {
      location = parseArchiveUrl(config.archive);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
    // With an archive, every topic is archived unless it says remote.storage.enable=false.
    config.topicDefaults = { "remote.storage.enable": "true", ...config.topicDefaults };
  }
  let metrics: BrokerMetrics | undefined;
  // The records live in the embedded log, or in a Kafka cluster (cluster mode: no Kafka listener here, the data dir holds only the warehouse).
  const clusterBrokers = brokersOf(config);
  let engine: LogManager | undefined;
  let cluster: KafkaClusterStore | undefined;
  if (clusterBrokers.length) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    cluster = await openClusterStore(config, `tributary-${config.nodeId}`);
  } else {
    engine = await LogManager.open({
      dataDir: config.dataDir,
      topicDefaults: config.topicDefaults,
      maintenanceIntervalMs: config.maintenanceIntervalMs,
      partitionsPerTopicMax: config.partitionsPerTopicMax,
      segmentFilesOpenMax: config.segmentFilesOpenMax,
      onFlush: (seconds) => metrics?.fsyncLatency.observe(seconds),
      onTopicDeleted: (name) => metrics?.forgetTopic(name),
    });
  }
  const logs: LogStore = engine ?? cluster!;
  // What has started so far, stopped in reverse order by stop() or by a failed start.
  const started: (() => Promise<void> | void)[] = [
    () => (tempDir ? fs.rmSync(tempDir, { recursive: true, force: true }) : undefined),
    () => logs.close(),
  ];
  // A part that does not stop within STEP_STOP_MS (waiting on a cluster that does not answer, say) is named in the
  // log and left behind, so that the rest, the log engine last, still stops cleanly.
  const stopAll = async () => {
    for (const close of started.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), STEP_STOP_MS)));
      const running = Promise.resolve().then(close);
      const outcome = await Promise.race([running.then(() => "done" as const), late]);
      clearTimeout(timer);
      if (outcome === "late") {
        opsLog("broker").error(`stopping: ${close.name || "a part of the broker"} did not stop within ${STEP_STOP_MS} ms; going on without it`);
        running.catch((err: Error) => opsLog("broker").error(`stopping ${close.name || "a part of the broker"} failed late: ${err.message}`));
      }
    }
  };
  const refuse = async (message: string): Promise<never> => {
    await stopAll();
    throw new ConfigError(message);
  };
  // Users, ACLs and tokens; the authorizer follows every change (in cluster mode, other instances' too).
  const security = new SecurityStore(logs.securityStore);
  const authorizer = new Authorizer(authenticating, new Set(config.superUsers));
  authorizer.setBindings(security.acls());
  security.onChange(() => authorizer.setBindings(security.acls()));
  const authentication = new Authentication(security, {
    mechanisms: config.saslMechanisms as SaslMechanism[], clientCertificates: tlsFiles?.ca !== undefined, reauthMs: config.saslReauthMs,
    failuresPerMinuteMax: config.authFailuresPerMinuteMax, failureDelayMs: config.authFailureDelayMs, authenticationTimeoutMs: config.authenticationTimeoutMs,
  });
  if (config.saslMechanisms.length > 0 && security.users().size === 0) {
    opsLog("auth").warn(`SASL is on (${config.saslMechanisms.join(", ")}) and no user exists yet: create one with \`tributary user create NAME --password-stdin --data-dir ${config.dataDir}\` (broker stopped) and name it in --super-users`);
  }
  if (tlsFiles?.ca !== undefined && config.saslMechanisms.length === 0) {
    opsLog("auth").info("client certificates without SASL: the HTTP API admits every client whose certificate the CA signed and checks no ACLs; add --sasl-mechanisms for per-user HTTP rights");
  }
  const groups = new GroupCoordinator({
    sessionTimeoutMinMs: config.groupSessionTimeoutMinMs,
    sessionTimeoutMaxMs: config.groupSessionTimeoutMaxMs,
    initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
    requireMemberId: true,
  });
  const registry = new SchemaRegistry(logs.schemaStore, {
    jsonDepthMax: config.jsonDepthMax, compatibilityStepsMax: config.schemaCompatibilityStepsMax, schemaNodesMax: config.schemaNodesMax,
    referencesMax: config.schemaReferencesMax, avroItemsPerByteMax: config.avroItemsPerByteMax,
  });
  const migrated = await registry.migrateStoredRecords();
  if (migrated > 0) opsLog("schema").info({ records: migrated }, `rewrote ${migrated} registry records of _schemas in Confluent Schema Registry's format`);
  if (config.schemasDir) {
    try {
      // In cluster mode only the elected writer registers (when elected, below); every instance checks at start.
      for (const s of await loadSchemaDirectory(config.schemasDir, registry, logs, cluster !== undefined)) {
        opsLog("schema").info({ file: s.file, subject: s.subject, version: s.version, id: s.id }, `${s.file} is ${s.subject} version ${s.version} (id ${s.id})`);
      }
    } catch (err) {
      await refuse(`refusing to start: ${(err as Error).message}`);
    }
  }
  const validation = new RecordValidation(registry, config.jsonDepthMax);
  let archiver: Archiver | undefined;
  if (location && engine) {
    // The S3 client loads only when there is an archive: it would cost every other start a tenth of a second.
    const { S3Store } = await import("../archive/s3-store.js");
    archiver = new Archiver(engine, new S3Store(location, config.s3Endpoint), {
      scanIntervalMs: config.archiveScanIntervalMs,
      retryMaxMs: config.archiveRetryMaxMs,
      registryEntries: () => logs.schemaStore.entries(),
      onUploaded: (bytes) => metrics?.archiveUploadedBytes.inc(bytes),
    });
  }
  // In cluster mode the archive reads the cluster's records through the store; one instance, elected, archives.
  let streamArchiver: StreamArchiver | undefined;
  let archiveElection: RegistryElection | undefined;
  if (location && cluster) {
    const { S3Store } = await import("../archive/s3-store.js");
    const objects = new S3Store(location, config.s3Endpoint);
    streamArchiver = new StreamArchiver(cluster, objects, {
      stagingDir: path.join(config.dataDir, "archive-staging"),
      scanIntervalMs: config.archiveScanIntervalMs,
      retryMaxMs: config.archiveRetryMaxMs,
      chunkBytesMax: config.archiveChunkBytesMax,
      chunkMs: config.archiveChunkMs,
      group: `tributary-archive:${config.archive}`,
      active: () => archiveElection?.isWriter ?? false,
      registryEntries: () => logs.schemaStore.entries(),
      onUploaded: (bytes) => metrics?.archiveUploadedBytes.inc(bytes),
    });
  }
  // What the servers see: the local engine, with the archive behind it when there is one (tiered reads).
  const store: LogStore = archiver ? new TieredLogStore(engine!, archiver) : logs;
  if (cluster) {
    // Other instances on the cluster register schemas too: their records are read as they come.
    const tail = setInterval(() => {
      void cluster!.schemaStore.load().then((changed) => (changed ? registry.storedRecordsChanged() : undefined), () => undefined);
      void cluster!.securityStore.load().then((changed) => (changed ? security.changed() : undefined), () => undefined);
    }, 500);
    tail.unref();
    started.push(() => clearInterval(tail));
  }
  metrics = new BrokerMetrics(store, validation);
  if (archiver) {
    metrics.watchArchive(() => archiver!.status());
    await archiver.start();
    started.push(() => archiver!.close());
  }
  if (streamArchiver) {
    metrics.watchArchive(() => streamArchiver!.status());
    archiveElection = new RegistryElection(cluster!, {
      url: `${os.hostname()} pid ${process.pid}`, group: `tributary-archive-election:${config.archive}`,
      role: `archives the cluster's topics to ${streamArchiver.store.description}`, protocolType: "tributary-archive", lane: "archive-election",
      onElected: async () => undefined,
    });
    archiveElection.start();
    await streamArchiver.start();
    started.push(() => archiveElection!.stop());
    started.push(() => streamArchiver!.close());
  }
  let warehouse: Warehouse | undefined;
  // Cluster mode: the warehouse's positions (kept in its own file, exactly once) also go to the cluster as a consumer group's offsets, once a second.
  const warehousePositions = new Map<string, { topic: string; partition: number; nextOffset: number }>();
  if (config.warehouseEnabled) {
    const file = config.warehouse || path.join(config.dataDir, "warehouse.db");
    try {
      warehouse = Warehouse.open(store, {
        file,
        valueSchema: (topic) => {
          const latest = registry.latest(valueSubject(topic));
          return latest?.schemaType === "JSON" ? { id: latest.id, text: latest.schema } : undefined;
        },
        decodeFramed: (framed) => {
          const schema = registry.getSchema(framed.readInt32BE(1));
          return schema.schemaType === "AVRO" ? registry.avroJson(framed) : JSON.parse(framed.subarray(5).toString("utf8"));
        },
        transactionRowsMax: config.warehouseTransactionRowsMax,
        loadShareMax: config.warehouseLoadShareMax,
        clientsActive: () => Date.now() - (metrics?.lastClientActivityMs ?? 0) < 1000,
        transactionBytesMax: config.warehouseTransactionBytesMax,
        columnsMax: config.warehouseColumnsMax,
        retentionIntervalMs: config.maintenanceIntervalMs,
        log: (level, line) => opsLog("warehouse")[level](line),
        // Rows of a topic deleted meanwhile are not counted: its metrics are gone with it.
        onRows: (topic, rows) => (store.hasTopic(topic) ? metrics?.warehouseRows(topic, rows) : undefined),
        onLoaded: cluster ? (topic, partition, nextOffset) => warehousePositions.set(`${topic}\u0000${partition}`, { topic, partition, nextOffset }) : undefined,
        query: {
          timeoutMs: config.sqlTimeoutMs, memoryBytesMax: config.sqlMemoryBytesMax, rowsMax: config.sqlRowsMax,
          bytesMax: config.sqlResponseBytesMax, concurrentMax: config.sqlConcurrentMax,
        },
      });
    } catch (err) {
      await refuse(`refusing to start: cannot open the warehouse ${file}: ${(err as Error).message} (the warehouse is rebuilt from the log when its file is removed; --no-warehouse turns it off)`);
    }
    started.push(function warehouseLoader() {
      return warehouse!.close();
    });
    metrics.watchWarehouse(() => warehouse!.status());
    if (cluster) {
      const group = `tributary-warehouse:${os.hostname()}:${path.resolve(file)}`;
      const commit = () => {
        if (warehousePositions.size === 0) return;
        const due = [...warehousePositions.values()];
        warehousePositions.clear();
        void cluster!.offsets.commit(group, due.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.nextOffset, leaderEpoch: -1, metadata: "loaded into the warehouse" })))
          .catch((err: Error) => opsLog("warehouse").warn(`committing the warehouse's positions to group ${group} failed: ${err.message}`));
      };
      const committer = setInterval(commit, 1000);
      committer.unref();
      started.push(() => {
        clearInterval(committer);
        commit();
      });
    }
  }
  const accumulator = new RecordAccumulator(store, metrics);
  const writePath = new WritePath(store, validation, accumulator);
  const shutdown = new AbortController();
  started.push(() => groups.shutdown());
  const producerIds = new ProducerIds(store);
  // Transactions are coordinated here when the store keeps their state (the embedded log); a cluster coordinates its own.
  const transactions = store.transactionStore ? new TransactionCoordinator(store, store.transactionStore, {
    maxTimeoutMs: config.transactionMaxTimeoutMs, checkIntervalMs: 1000, allocateProducerId: () => producerIds.allocate(),
  }) : undefined;
  if (transactions) {
    await transactions.start().catch((err: Error) => refuse(`refusing to start: completing the transactions left open failed: ${err.message}`));
    started.push(() => transactions.stop());
  }
  const ctx: KafkaContext = {
    apiVersions: apiVersionsList(),
    logs: store,
    groups,
    producerIds,
    transactions,
    fetchSessions: new FetchSessions(),
    validation,
    writePath,
    metrics,
    nodeId: config.nodeId,
    advertisedHost: config.advertisedHost,
    advertisedPort: config.advertisedPort,
    autoCreateTopics: config.autoCreateTopics,
    defaultPartitions: config.defaultPartitions,
    shutdown: shutdown.signal,
    logDir: path.resolve(config.dataDir),
    auth: authentication,
    authorizer,
    security,
  };
  const tlsOptions = tlsFiles ? { cert: tlsFiles.cert, key: tlsFiles.key, ca: tlsFiles.ca, requestCert: tlsFiles.ca !== undefined, rejectUnauthorized: tlsFiles.ca !== undefined, minVersion: "TLSv1.2" as const } : undefined;
  const listener = cluster ? undefined : await KafkaListener.start(ctx, config.host, config.kafkaPort, {
    ...DEFAULT_LIMITS,
    frameBytesMax: config.kafkaFrameBytesMax,
    queuedRequestBytesMax: config.kafkaQueuedRequestBytesMax,
    connectionResponseBytesMax: config.kafkaConnectionResponseBytesMax,
    requestReadTimeoutMs: config.kafkaRequestReadTimeoutMs,
    connectionsMax: config.kafkaConnectionsMax,
  }, tlsOptions).catch((err: Error) => refuse(`cannot listen for Kafka clients on ${config.host}:${config.kafkaPort}: ${err.message}`));
  if (listener) started.push(() => listener.close());
  if (listener && ctx.advertisedPort === 0) ctx.advertisedPort = listener.port;
  if (cluster) {
    // REST v3 names the cluster's first broker as its node.
    const first = clusterBrokers[0]!;
    ctx.advertisedHost = first.slice(0, first.lastIndexOf(":"));
    ctx.advertisedPort = Number(first.slice(first.lastIndexOf(":") + 1));
  }
  const autoCreate = config.autoCreateTopics ? { partitions: config.defaultPartitions } : undefined;
  // REST consumers are members of this broker's groups, or in cluster mode of the cluster's.
  const membership = cluster ? new ClusterMembership(cluster) : localMembership(groups, store);
  const consumers = new HttpConsumers(store, membership, undefined, autoCreate, (framed) => registry.avroJson(framed));
  started.push(function restConsumers() {
    return consumers.close();
  });
  // In cluster mode one instance, elected through the cluster's group protocol, writes the registry; the others forward to it.
  let election: RegistryElection | undefined;
  const registryWriter = cluster ? { get isWriter() { return election?.isWriter ?? false; }, get writerUrlNow() { return election?.writerUrlNow; } } : undefined;
  const app = buildHttpApp({
    registryWriter,
    groupView: cluster ? new ClusterGroupView(cluster) : localGroupView(groups),
    logs: store, registry, validation, metrics, consumers, groups, writePath,
    bodyBytesMax: config.httpBodyBytesMax,
    jsonDepthMax: config.jsonDepthMax,
    requestTimeoutMs: config.httpRequestTimeoutMs,
    corsOrigins: config.httpCorsOrigins,
    autoCreate,
    streamedRecordsInFlightMax: config.httpStreamedRecordsInFlightMax,
    kafkaNode: { nodeId: config.nodeId, host: ctx.advertisedHost, port: ctx.advertisedPort },
    writesRefused: () => store.partitionsRefusingWrites(),
    archive: archiver ?? streamArchiver,
    warehouse,
    access: new HttpAccess({ authentication, authorizer, metricsOpen: config.metricsOpen }),
    security,
  });
  const http = await listenHttp(app, config.host, config.httpPort, {
    bodyBytesMax: config.httpBodyBytesMax,
    connectionsMax: config.httpConnectionsMax,
    requestTimeoutMs: config.httpRequestTimeoutMs,
  }, tlsOptions)
    .catch((err: Error) => refuse(`cannot listen for HTTP on ${config.host}:${config.httpPort}: ${err.message}`));
  started.push(function httpListener() {
    return http.close();
  });
  const scheme = tlsOptions ? "https" : "http";
  if (cluster) {
    election = new RegistryElection(cluster, {
      url: `${scheme}://${hostForUrl(config.advertisedHost)}:${http.port}`,
      group: `tributary-registry.${config.registryTopic}`,
      // The writer reads everything written before it (by the writer before it) before it takes a write.
      onElected: async () => {
        if (await cluster!.schemaStore.load()) registry.storedRecordsChanged();
        if (!config.schemasDir) return;
        try {
          for (const s of await loadSchemaDirectory(config.schemasDir, registry, store)) {
            opsLog("schema").info({ file: s.file, subject: s.subject, version: s.version, id: s.id }, `${s.file} is ${s.subject} version ${s.version} (id ${s.id})`);
          }
        } catch (err) {
          opsLog("schema").error(`registering ${config.schemasDir} as the registry's writer failed: ${(err as Error).message}`);
        }
      },
    });
    election.start();
    started.push(function registryElection() {
      return election!.stop();
    });
  }
  metrics.watchAuthentication(() => authentication.failures);
  metrics.watchConnections(() => listener?.connectionCount ?? 0, () => http.requestsInFlight());
  started.push(() => shutdown.abort()); // runs first on stop: long polls and streams end at once
  let stopping: Promise<void> | undefined;
  return {
    config,
    logs: store,
    groups,
    registry,
    warehouse,
    brokers: cluster ? clusterBrokers : [`${ctx.advertisedHost}:${ctx.advertisedPort}`],
    kafkaPort: listener?.port ?? 0,
    httpUrl: `${scheme}://${cluster ? hostForUrl(config.advertisedHost) : ctx.advertisedHost}:${http.port}`,
    kafkaAddress: listener ? `${hostForUrl(config.host)}:${listener.port}` : "",
    httpAddress: `${hostForUrl(config.host)}:${http.port}`,
    kafkaRequestCounts: () => new Map(listener?.requestCounts ?? []),
    stop: () => (stopping ??= stopAll()),
  };
}
