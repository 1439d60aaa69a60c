import { LogManager } from "../log/log-manager.js";
import type { BrokerConfig } from "../config/config.js";

/** Opens a stopped broker's data directory for an offline admin command; closes it afterwards. */
export async function withLogs<T>(config: Partial<BrokerConfig>, work: (logs: LogManager) => Promise<T>): Promise<T> {
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
