// `tributary consume TOPIC`: records of any Kafka-compatible broker on
// stdout, one per line, from where --from says, until -n records or Ctrl-C.

import { randomUUID } from "node:crypto";
import { Option, type Command } from "commander";
import { brokerAddress, kafkaClient, kafkaErrorLine } from "./kafka-client.js";
import { CliError } from "./output.js";

function valueJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function registerConsume(program: Command): void {
  program.command("consume <topic>")
    .description("print a topic's records, one per line, following new ones until -n records or Ctrl-C")
    .addOption(new Option("--broker <host:port>", "the broker (env TRIBUTARY_BROKER; default: the one serving --data-dir, else 127.0.0.1:9092)"))
    .addOption(new Option("--data-dir <dir>", "find the broker serving this data dir"))
    .addOption(new Option("--from <where>", "beginning, end, an offset (every partition), or an ISO time; with --group, where the group has committed nothing").default("end"))
    .addOption(new Option("--group <group>", "consume in this group and commit its offsets (default: a group of its own, committing nothing)"))
    .addOption(new Option("-n, --records <n>", "stop after this many records"))
    .addOption(new Option("--format <format>", "json: one object per record (topic, partition, offset, timestamp, key, value, headers); value: the value alone").choices(["json", "value"]).default("json"))
    .action(async (topic: string, options: Record<string, unknown>) => {
      const limit = options.records === undefined ? Infinity : Number(options.records);
      if (!(limit > 0)) throw new CliError(`-n '${options.records as string}' is not a positive number`, 2);
      const from = String(options.from);
      const fromOffset = /^\d+$/.test(from) ? Number(from) : undefined;
      const fromTime = fromOffset === undefined && from !== "beginning" && from !== "end" ? Date.parse(from) : undefined;
      if (fromTime !== undefined && Number.isNaN(fromTime)) throw new CliError(`--from '${from}' is not beginning, end, an offset or an ISO time`, 2);
      const broker = brokerAddress(options);
      const { kafka } = await kafkaClient(broker, "tributary-consume");
      const admin = kafka.admin();
      try {
        await admin.connect();
      } catch (err) {
        throw new CliError(`cannot reach the broker at ${broker}: ${(err as Error).message}`);
      }
      let starts: { partition: number; offset: string }[] | undefined;
      try {
        if (fromTime !== undefined) {
          // No record that new yet: start at the end as it is now, so what comes next is printed however long joining the group takes.
          const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
          starts = (await admin.fetchTopicOffsetsByTimestamp(topic, fromTime)).map((o) => ({ partition: o.partition, offset: Number(o.offset) < 0 ? ends.get(o.partition) ?? "0" : o.offset }));
        }
        else if (fromOffset !== undefined) starts = (await admin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, offset: String(Math.min(fromOffset, Number(o.high))) }));
        else await admin.fetchTopicOffsets(topic); // the topic must exist
      } catch (err) {
        throw new CliError(kafkaErrorLine(err) ?? (err as Error).message);
      } finally {
        await admin.disconnect();
      }
      const group = options.group as string | undefined;
      const groupId = group ?? `tributary-consume-${randomUUID()}`;
      const consumer = kafka.consumer({ groupId });
      // Said once the group has its partitions: from here on, what is produced is printed.
      let joined = false;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        if (!joined) process.stderr.write(`tributary: consuming ${topic} in group ${groupId}\n`);
        joined = true;
      });
      let printed = 0;
      let finish!: () => void;
      const done = new Promise<void>((resolve) => (finish = resolve));
      process.once("SIGINT", () => finish());
      process.once("SIGTERM", () => finish());
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: from === "beginning" });
      await consumer.run({
        autoCommit: group !== undefined,
        eachMessage: async ({ partition, message }) => {
          if (printed >= limit) return;
          const value = message.value === null ? null : message.value.toString("utf8");
          if (options.format === "value") process.stdout.write(`${value ?? ""}\n`);
          else {
            const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v === undefined ? null : String(v)]));
            process.stdout.write(JSON.stringify({ topic, partition, offset: Number(message.offset), timestamp: Number(message.timestamp), key: message.key?.toString("utf8") ?? null, value: valueJson(value), headers }) + "\n");
          }
          if (++printed >= limit) finish();
        },
      });
      for (const start of starts ?? []) consumer.seek({ topic, partition: start.partition, offset: start.offset });
      await done;
      await consumer.disconnect();
    });
}
