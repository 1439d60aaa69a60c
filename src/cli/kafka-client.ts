// kafkajs for the commands that talk to a broker (produce, consume, perf,
// and the admin commands with --broker): loaded only when one runs, with the
// broker found the way every such command finds it.

import * as fs from "node:fs";
import * as path from "node:path";
import type { Kafka, SASLOptions } from "kafkajs";
import { Compression, compress, decompress } from "../protocol/compression.js";
import type { SaslCredentials } from "../cluster/kafka-connection.js";
import { isScramMechanism } from "../security/scram.js";
import { CliError } from "./output.js";

/** Largest record section a consumed batch may decompress to. */
const DECOMPRESSED_BYTES_MAX = 256 * 1024 * 1024;

/** The file a serving broker writes into its data dir so that commands find its listener. */
export const LISTENERS_FILE = "listeners.json";

/** The Kafka listener of the broker serving `dataDir`, if one is. */
export function listenerOf(dataDir: string): string | undefined {
  try {
    const listeners = JSON.parse(fs.readFileSync(path.join(dataDir, LISTENERS_FILE), "utf8")) as { kafka?: unknown };
    return typeof listeners.kafka === "string" ? listeners.kafka : undefined;
  } catch {
    return undefined;
  }
}

/** `--broker`, else TRIBUTARY_BROKER, else the broker serving the data dir given, else localhost:9092. */
export function brokerAddress(options: { broker?: unknown; dataDir?: unknown }): string {
  if (typeof options.broker === "string") return options.broker;
  if (process.env.TRIBUTARY_BROKER) return process.env.TRIBUTARY_BROKER;
  const dataDir = typeof options.dataDir === "string" ? options.dataDir : process.env.TRIBUTARY_DATA_DIR;
  return (dataDir && listenerOf(dataDir)) || "127.0.0.1:9092";
}

let timersClamped = false;

/** A kafkajs client for `broker`; the module loads on first use. */
export async function kafkaClient(broker: string, clientId: string): Promise<{ kafka: Kafka; kafkajs: typeof import("kafkajs") }> {
  if (!timersClamped) {
    // kafkajs arms timers with negative delays (taken as 1 ms anyway), and the runtime warns on stderr
    // for each; in a command's short-lived process, such delays become 0 before they reach it.
    timersClamped = true;
    const setTimer = globalThis.setTimeout;
    globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
      setTimer(callback, typeof ms === "number" && ms < 0 ? 0 : ms, ...args)) as typeof globalThis.setTimeout;
  }
  const kafkajs = await import("kafkajs");
  // kafkajs ships only gzip: the other codecs come from Tributary's own compression module.
  const codec = (c: Compression) => () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(c, encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(c, buffer, DECOMPRESSED_BYTES_MAX),
  });
  kafkajs.CompressionCodecs[kafkajs.CompressionTypes.Snappy] = codec(Compression.Snappy);
  kafkajs.CompressionCodecs[kafkajs.CompressionTypes.LZ4] = codec(Compression.Lz4);
  kafkajs.CompressionCodecs[kafkajs.CompressionTypes.ZSTD] = codec(Compression.Zstd);
  return { kafkajs, kafka: new kafkajs.Kafka({ brokers: [broker], clientId, logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 3 }, ...securityFromEnv() }) };
}

/**
 * SASL and TLS for a broker that requires them, in kafkajs' terms (see
 * credentialsFromEnv and tlsFromEnv).
 */
function securityFromEnv(): { sasl?: SASLOptions; ssl?: boolean | { ca: string[] } } {
  const credentials = credentialsFromEnv();
  const tls = tlsFromEnv();
  return {
    ...(tls ? { ssl: tls.ca ? { ca: [tls.ca] } : true } : {}),
    ...(credentials ? { sasl: { mechanism: credentials.mechanism.toLowerCase() as "plain", username: credentials.user, password: credentials.password } } : {}),
  };
}

/** SASL credentials for a running broker, from the environment. */
export function credentialsFromEnv(): SaslCredentials | undefined {
  const user = process.env.TRIBUTARY_USER;
  if (!user) return undefined;
  const password = process.env.TRIBUTARY_PASSWORD;
  if (password === undefined) throw new CliError("TRIBUTARY_USER is set but TRIBUTARY_PASSWORD is not");
  const mechanism = (process.env.TRIBUTARY_SASL_MECHANISM ?? "SCRAM-SHA-512").toUpperCase();
  if (mechanism !== "PLAIN" && !isScramMechanism(mechanism)) throw new CliError(`TRIBUTARY_SASL_MECHANISM: '${mechanism}' is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512`);
  return { mechanism, user, password };
}

export function tlsFromEnv(): { ca?: string } | undefined {
  const ca = process.env.TRIBUTARY_TLS_CA;
  if (!ca) return process.env.TRIBUTARY_TLS === "true" ? {} : undefined;
  try {
    return { ca: fs.readFileSync(ca, "utf8") };
  } catch (err) {
    throw new CliError(`TRIBUTARY_TLS_CA ${ca}: ${(err as Error).message}`);
  }
}

/** A kafkajs error as one line. */
export function kafkaErrorLine(err: unknown): string | undefined {
  const e = err as { message?: string; type?: string; name?: string };
  return e?.name?.startsWith("KafkaJS") ? `${e.type ? `${e.type}: ` : ""}${e.message}` : undefined;
}
