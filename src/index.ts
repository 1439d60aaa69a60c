// The package's entry point for programs that embed Tributary, such as a test
// suite that wants a real Kafka-compatible broker:
//
//   import { startBroker } from "tributary";
//   const broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0 });
//   // ... new Kafka({ brokers: broker.brokers }) ...
//   await broker.stop();
//
// Everything exported here is the public interface; the rest of lib/ may
// change between versions.

export { startBroker, type Broker, type StartOptions } from "./server/broker.js";
export { loadConfig, ConfigError, BROKER_SETTINGS, type BrokerConfig } from "./config/config.js";
export { MemoryLogStore } from "./log/memory-store.js";
export type { LogStore, PartitionStore, TopicInfo, TopicDescription, PartitionOffsets } from "./log/store.js";
export { configureOpsLog, type LogLevel, type LogFormat } from "./ops/ops-log.js";
export { VERSION } from "./config/version.js";
