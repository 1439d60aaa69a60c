// A running Tributary broker: the storage engine plus (in later layers) the
// Kafka and HTTP listeners. Also the library entry point for embedding a
// broker in a Node or Bun process.

import { LogManager } from "../log/log-manager.js";
import { loadConfig, type BrokerConfig } from "../config/config.js";

export interface Broker {
  readonly config: BrokerConfig;
  readonly logs: LogManager;
  stop(): Promise<void>;
}

export async function startBroker(options: Partial<BrokerConfig> = {}): Promise<Broker> {
  const config = loadConfig({ flags: options });
  const logs = await LogManager.open({
    dataDir: config.dataDir,
    topicDefaults: config.topicDefaults,
    maintenanceIntervalMs: config.maintenanceIntervalMs,
    partitionsPerTopicMax: config.partitionsPerTopicMax,
  });
  let stopping: Promise<void> | undefined;
  return {
    config,
    logs,
    stop: () => (stopping ??= logs.close()),
  };
}
