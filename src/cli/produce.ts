// `tributary produce TOPIC`: one record per line of stdin, to any
// Kafka-compatible broker, acknowledged by all replicas (acks=-1) in batches.

import * as readline from "node:readline";
import { Option, type Command } from "commander";
import { brokerAddress, kafkaClient, kafkaErrorLine } from "./kafka-client.js";
import { CliError, keyValueOption } from "./output.js";

/** Lines sent in one request at most. */
const BATCH_LINES = 500;

export function registerProduce(program: Command): void {
  program.command("produce <topic>")
    .description("send one record per line of stdin (acks=all); prints how many were acknowledged")
    .addOption(new Option("--broker <host:port>", "the broker (env TRIBUTARY_BROKER; default: the one serving --data-dir, else 127.0.0.1:9092)"))
    .addOption(new Option("--data-dir <dir>", "find the broker serving this data dir"))
    .addOption(new Option("--key-separator <sep>", "the text before the first <sep> of a line is its key"))
    .addOption(new Option("--headers <key=value>", "a header on every record (repeatable)").argParser(keyValueOption))
    .addOption(new Option("--partition <p>", "send every record to this partition (default: by key, else spread)"))
    .addOption(new Option("--format <format>", "raw: each line is the value as it is; json: each line must be one JSON document").choices(["raw", "json"]).default("raw"))
    .action(async (topic: string, options: Record<string, unknown>) => {
      const partition = options.partition === undefined ? undefined : Number(options.partition);
      if (partition !== undefined && !(Number.isInteger(partition) && partition >= 0)) throw new CliError(`--partition '${options.partition as string}' is not a partition number`, 2);
      const separator = options.keySeparator as string | undefined;
      const headers = options.headers as Record<string, string> | undefined;
      const broker = brokerAddress(options);
      const { kafka } = await kafkaClient(broker, "tributary-produce");
      const producer = kafka.producer({ allowAutoTopicCreation: true });
      try {
        await producer.connect();
      } catch (err) {
        throw new CliError(`cannot reach the broker at ${broker}: ${(err as Error).message}`);
      }
      let sent = 0;
      let lineNumber = 0;
      let batch: { key: string | null; value: string; headers?: Record<string, string>; partition?: number }[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        try {
          await producer.send({ topic, acks: -1, messages: batch });
        } catch (err) {
          throw new CliError(`${kafkaErrorLine(err) ?? (err as Error).message} (after ${sent} records were acknowledged)`);
        }
        sent += batch.length;
        batch = [];
      };
      try {
        for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
          lineNumber++;
          let key: string | null = null;
          let value = line;
          if (separator !== undefined) {
            const at = line.indexOf(separator);
            if (at >= 0) {
              key = line.slice(0, at);
              value = line.slice(at + separator.length);
            }
          }
          if (options.format === "json") {
            try {
              JSON.parse(value);
            } catch (err) {
              throw new CliError(`line ${lineNumber} is not JSON: ${(err as Error).message} (after ${sent} records were acknowledged)`);
            }
          }
          batch.push({ key, value, ...(headers ? { headers } : {}), ...(partition !== undefined ? { partition } : {}) });
          if (batch.length >= BATCH_LINES) await flush();
        }
        await flush();
      } finally {
        await producer.disconnect();
      }
      process.stderr.write(`produced ${sent} record${sent === 1 ? "" : "s"} to ${topic}\n`);
    });
}
