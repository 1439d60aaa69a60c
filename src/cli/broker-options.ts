import { Option, type Command } from "commander";
import { BROKER_SETTINGS, loadConfig, type BrokerConfig } from "../config/config.js";
import { keyValueOption } from "./output.js";

/** The options every command that opens a data directory accepts. */
export function addBrokerOptions(command: Command): Command {
  return command
    .addOption(new Option("--data-dir <dir>", `${BROKER_SETTINGS.dataDir.doc} (env ${BROKER_SETTINGS.dataDir.env}; default ${BROKER_SETTINGS.dataDir.default})`))
    .addOption(new Option("--config <file>", "JSON config file (env TRIBUTARY_CONFIG)"))
    .addOption(new Option("--maintenance-interval-ms <ms>", BROKER_SETTINGS.maintenanceIntervalMs.doc))
    .addOption(new Option("--topic-default <key=value>", "broker-wide topic config default (repeatable)").argParser(keyValueOption));
}

export function brokerOptions(options: Record<string, unknown>): Partial<BrokerConfig> & { configFile?: string } {
  const config = loadConfig({
    configFile: options.config as string | undefined,
    flags: {
      dataDir: options.dataDir,
      maintenanceIntervalMs: options.maintenanceIntervalMs,
      topicDefaults: options.topicDefault,
    },
  });
  return config;
}
