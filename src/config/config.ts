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
    if (flag !== undefined) config[name] = setting.parse(flag, `--${kebab(name)}`);
    else if (env[setting.env] !== undefined) config[name] = setting.parse(env[setting.env], setting.env);
    else if (fromFile[name] !== undefined) config[name] = setting.parse(fromFile[name], `${file}: ${name}`);
    else config[name] = setting.default;
  }
  return config as unknown as BrokerConfig;
}

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
