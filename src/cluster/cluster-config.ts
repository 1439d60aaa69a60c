// From the broker's settings to a connected cluster store: the brokers, TLS
// with its CA, and SASL with the password from TRIBUTARY_KAFKA_CLUSTER_PASSWORD.
// Shared by `serve --kafka-cluster` and the CLI commands that act on a
// cluster's topics (users, ACLs and tokens of the HTTP tier).

import * as fs from "node:fs";
import { ConfigError, type BrokerConfig } from "../config/config.js";
import { KafkaClusterStore } from "./kafka-cluster-store.js";
import type { SaslCredentials } from "./kafka-connection.js";

export function clusterBrokers(config: Pick<BrokerConfig, "kafkaCluster">): string[] {
  return config.kafkaCluster.split(",").map((b) => b.trim()).filter(Boolean);
}

/** Connects to the cluster the settings name (ConfigError saying why it cannot). */
export async function openClusterStore(config: BrokerConfig, clientId: string): Promise<KafkaClusterStore> {
  const brokers = clusterBrokers(config);
  let ca: string | undefined;
  if (config.kafkaClusterCa) {
    try {
      ca = fs.readFileSync(config.kafkaClusterCa, "utf8");
    } catch (err) {
      throw new ConfigError(`--kafka-cluster-ca ${config.kafkaClusterCa}: ${(err as Error).message}`);
    }
  }
  const tls = config.kafkaClusterTls || ca ? { ca } : undefined;
  let sasl: SaslCredentials | undefined;
  if (config.kafkaClusterSasl) {
    const password = process.env.TRIBUTARY_KAFKA_CLUSTER_PASSWORD;
    if (!config.kafkaClusterUser || password === undefined) {
      throw new ConfigError("--kafka-cluster-sasl needs --kafka-cluster-user and the password in TRIBUTARY_KAFKA_CLUSTER_PASSWORD");
    }
    sasl = { mechanism: config.kafkaClusterSasl.toUpperCase() as SaslCredentials["mechanism"], user: config.kafkaClusterUser, password };
  } else if (config.kafkaClusterUser) {
    throw new ConfigError("--kafka-cluster-user needs --kafka-cluster-sasl plain|scram-sha-256|scram-sha-512");
  }
  return KafkaClusterStore.open({ bootstrap: brokers, registryTopic: config.registryTopic, clientId, tls, sasl }).catch((err: Error) => {
    throw new ConfigError(`cannot use the Kafka cluster at ${brokers.join(",")}: ${err.message}`);
  });
}
