import { Option, type Command } from "commander";
import { BROKER_SETTINGS, loadConfig, type BrokerConfig } from "../config/config.js";
import { keyValueOption } from "./output.js";

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * The options every command that opens a data directory accepts: the
 * directory and the JSON settings file (whose topic defaults the admin
 * commands show). The file is `--config FILE` for serve and `--config-file
 * FILE` for the admin commands, where `--config` is a topic config as in
 * Kafka's tools.
 */
export function addBrokerOptions(command: Command, settingsFlag = "--config <file>"): Command {
  return command
    .addOption(new Option("--data-dir <dir>", `${BROKER_SETTINGS.dataDir.doc} (env ${BROKER_SETTINGS.dataDir.env}; default ${BROKER_SETTINGS.dataDir.default})`))
    .addOption(new Option(settingsFlag, "JSON settings file (env TRIBUTARY_CONFIG)"));
}

/** The options of `serve`: maintenance, listeners, group coordination, archive, warehouse, logs. */
export function addServeOptions(command: Command): Command {
  const s = BROKER_SETTINGS;
  return addBrokerOptions(command)
    .addOption(new Option("--maintenance-interval-ms <ms>", BROKER_SETTINGS.maintenanceIntervalMs.doc))
    .addOption(new Option("--topic-default <key=value>", "broker-wide topic config default (repeatable)").argParser(keyValueOption))
    .addOption(new Option("--host <address>", `${s.host.doc} (default ${s.host.default})`))
    .addOption(new Option("--kafka-port <port>", `${s.kafkaPort.doc} (default ${s.kafkaPort.default})`))
    .addOption(new Option("--schemas <dir>", "register <topic>.json schemas from this directory at start; refuse to start on an incompatible change"))
    .addOption(new Option("--http-port <port>", `${s.httpPort.doc} (default ${s.httpPort.default})`))
    .addOption(new Option("--advertised-host <host>", `${s.advertisedHost.doc} (default ${s.advertisedHost.default})`))
    .addOption(new Option("--advertised-port <port>", s.advertisedPort.doc))
    .addOption(new Option("--node-id <id>", s.nodeId.doc))
    .addOption(new Option("--default-partitions <n>", s.defaultPartitions.doc))
    .addOption(new Option("--no-auto-create-topics", "refuse to create unknown topics on Metadata requests"))
    .addOption(new Option("--group-initial-rebalance-delay-ms <ms>", s.groupInitialRebalanceDelayMs.doc))
    .addOption(new Option("--group-session-timeout-min-ms <ms>", s.groupSessionTimeoutMinMs.doc))
    .addOption(new Option("--http-cors-origin <origin>", "let browsers on this origin call the HTTP API (repeatable; none: CORS off)").argParser(collect))
    .addOption(new Option("--ephemeral", "use a temporary data dir removed at exit, no initial rebalance delay (CI stand-in)"))
    .addOption(new Option("--archive <s3-url>", `${s.archive.doc} (env ${s.archive.env})`))
    .addOption(new Option("--s3-endpoint <url>", `${s.s3Endpoint.doc} (env ${s.s3Endpoint.env})`))
    .addOption(new Option("--warehouse <file>", `${s.warehouse.doc} (env ${s.warehouse.env})`))
    .addOption(new Option("--no-warehouse", "keep no SQLite warehouse"))
    .addOption(new Option("--sql-timeout-ms <ms>", `${s.sqlTimeoutMs.doc} (default ${s.sqlTimeoutMs.default})`))
    .addOption(new Option("--sql-rows-max <n>", `${s.sqlRowsMax.doc} (default ${s.sqlRowsMax.default})`))
    .addOption(new Option("--log-level <level>", `${s.logLevel.doc} (env ${s.logLevel.env}; default ${s.logLevel.default})`))
    .addOption(new Option("--kafka-cluster <brokers>", `${s.kafkaCluster.doc} (env ${s.kafkaCluster.env})`))
    .addOption(new Option("--kafka-cluster-tls", `${s.kafkaClusterTls.doc} (env ${s.kafkaClusterTls.env})`))
    .addOption(new Option("--kafka-cluster-ca <file>", `${s.kafkaClusterCa.doc} (env ${s.kafkaClusterCa.env})`))
    .addOption(new Option("--registry-topic <topic>", `${s.registryTopic.doc} (env ${s.registryTopic.env}; default ${s.registryTopic.default})`))
    .addOption(new Option("--tls-cert <file>", `${s.tlsCert.doc} (env ${s.tlsCert.env})`))
    .addOption(new Option("--tls-key <file>", `${s.tlsKey.doc} (env ${s.tlsKey.env})`))
    .addOption(new Option("--tls-ca <file>", `${s.tlsCa.doc} (env ${s.tlsCa.env})`))
    .addOption(new Option("--sasl-mechanisms <list>", `${s.saslMechanisms.doc} (env ${s.saslMechanisms.env})`))
    .addOption(new Option("--super-users <list>", `${s.superUsers.doc} (env ${s.superUsers.env})`))
    .addOption(new Option("--sasl-reauth-ms <ms>", `${s.saslReauthMs.doc} (env ${s.saslReauthMs.env})`))
    .addOption(new Option("--metrics-open", `${s.metricsOpen.doc} (env ${s.metricsOpen.env})`))
    .addOption(new Option("--kafka-cluster-sasl <mechanism>", `${s.kafkaClusterSasl.doc} (env ${s.kafkaClusterSasl.env})`))
    .addOption(new Option("--kafka-cluster-user <user>", `${s.kafkaClusterUser.doc} (env ${s.kafkaClusterUser.env})`))
    .addOption(new Option("--log-format <format>", `${s.logFormat.doc}: text or json (env ${s.logFormat.env}; default ${s.logFormat.default})`));
}

export function brokerOptions(options: Record<string, unknown>): Partial<BrokerConfig> & { configFile?: string } {
  const config = loadConfig({
    configFile: (typeof options.config === "string" ? options.config : options.configFile) as string | undefined,
    flags: {
      dataDir: options.dataDir,
      maintenanceIntervalMs: options.maintenanceIntervalMs,
      topicDefaults: options.topicDefault,
      host: options.host,
      kafkaPort: options.kafkaPort,
      httpPort: options.httpPort,
      schemasDir: options.schemas,
      advertisedHost: options.advertisedHost,
      advertisedPort: options.advertisedPort,
      nodeId: options.nodeId,
      defaultPartitions: options.defaultPartitions,
      // commander sets autoCreateTopics=true by default for --no-...; only an explicit flag counts.
      autoCreateTopics: options.autoCreateTopics === false ? false : undefined,
      groupInitialRebalanceDelayMs: options.groupInitialRebalanceDelayMs ?? (options.ephemeral ? 0 : undefined),
      groupSessionTimeoutMinMs: options.groupSessionTimeoutMinMs,
      httpCorsOrigins: options.httpCorsOrigin,
      archive: options.archive,
      s3Endpoint: options.s3Endpoint,
      // commander gives --no-warehouse as warehouse=false, --warehouse FILE as a string.
      warehouse: typeof options.warehouse === "string" ? options.warehouse : undefined,
      warehouseEnabled: options.warehouse === false ? false : undefined,
      sqlTimeoutMs: options.sqlTimeoutMs,
      sqlRowsMax: options.sqlRowsMax,
      logLevel: options.logLevel,
      logFormat: options.logFormat,
      kafkaCluster: options.kafkaCluster,
      registryTopic: options.registryTopic,
      kafkaClusterTls: options.kafkaClusterTls === true ? true : undefined,
      kafkaClusterCa: options.kafkaClusterCa,
      tlsCert: options.tlsCert,
      tlsKey: options.tlsKey,
      tlsCa: options.tlsCa,
      saslMechanisms: options.saslMechanisms,
      superUsers: options.superUsers,
      saslReauthMs: options.saslReauthMs,
      metricsOpen: options.metricsOpen === true ? true : undefined,
      kafkaClusterSasl: options.kafkaClusterSasl,
      kafkaClusterUser: options.kafkaClusterUser,
    },
  });
  return config;
}
