import { LogManager } from "../log/log-manager.js";
import type { LogStore } from "../log/store.js";
import type { BrokerConfig } from "../config/config.js";

/**
 * Opens a stopped broker's data directory for an offline admin command; closes
 * it afterwards. With broker.ts, the one place in cli/ and server/ that names
 * the local engine: the commands see only the store interface.
 */
export async function withLogs<T>(config: Partial<BrokerConfig>, work: (logs: LogStore) => Promise<T>): Promise<T> {
  const logs = await LogManager.open({
    dataDir: config.dataDir ?? "./data",
    topicDefaults: config.topicDefaults,
    partitionsPerTopicMax: config.partitionsPerTopicMax,
    maintenanceIntervalMs: 0,
  });
  try {
    return await work(logs);
  } finally {
    await logs.close();
  }
}
