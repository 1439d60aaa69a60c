import { Option, type Command } from "commander";
import type { LogStore } from "../log/store.js";
import { addBrokerOptions, brokerOptions } from "./broker-options.js";
import { withLogs } from "./open-logs.js";
import { CliError, collect, keyValueOption, printJson, printTable } from "./output.js";

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`'${value}' is not a positive integer`, 2);
  return Number(value);
}

function effectiveConfig(logs: LogStore, name: string): { name: string; value: string; source: string }[] {
  return logs.effectiveConfig(name).map(({ name, value, source }) => ({ name, value, source }));
}

export function registerTopic(program: Command): void {
  const topic = program.command("topic").description("create, list, describe, delete and configure topics (on a stopped broker's data dir)");

  addBrokerOptions(topic.command("create <name>"))
    .description("create a topic")
    .addOption(new Option("-p, --partitions <n>", "number of partitions").default(1).argParser(positiveInteger))
    .addOption(new Option("-c, --topic-config <key=value>", "topic config override, e.g. cleanup.policy=compact (repeatable)").argParser(keyValueOption))
    .option("--json", "print JSON")
    .action(async (name: string, options: Record<string, unknown>) => {
      const info = await withLogs(brokerOptions(options), (logs) =>
        logs.createTopic(name, { partitions: options.partitions as number, configs: (options.topicConfig as Record<string, string>) ?? {} }));
      if (options.json) printJson(info);
      else process.stdout.write(`created topic ${info.name} (${info.partitions} partitions, id ${info.id})\n`);
    });

  addBrokerOptions(topic.command("list"))
    .description("list topics")
    .option("-a, --all", "include internal topics")
    .option("--json", "print JSON")
    .action(async (options: Record<string, unknown>) => {
      const topics = await withLogs(brokerOptions(options), async (logs) => logs.listTopics({ includeInternal: Boolean(options.all) }));
      if (options.json) printJson(topics);
      else if (topics.length === 0) process.stdout.write("no topics\n");
      else printTable(topics.map((t) => ({ topic: t.name, partitions: t.partitions, id: t.id, internal: t.internal ? "yes" : "" })));
    });

  addBrokerOptions(topic.command("describe <name>"))
    .description("show a topic's id, configs and per-partition offsets")
    .option("--json", "print JSON")
    .action(async (name: string, options: Record<string, unknown>) => {
      const { info, configs } = await withLogs(brokerOptions(options), async (logs) =>
        ({ info: await logs.describeTopic(name), configs: effectiveConfig(logs, name) }));
      if (options.json) {
        printJson({ name: info.name, id: info.id, partitions: info.partitions, internal: info.internal, configs, partitionStates: info.partitionStates });
        return;
      }
      process.stdout.write(`topic ${info.name}  id ${info.id}  partitions ${info.partitions}${info.internal ? "  (internal)" : ""}\n\n`);
      printTable(info.partitionStates.map((p) => ({
        partition: p.partition, logStartOffset: p.logStartOffset, highWatermark: p.highWatermark, bytes: p.sizeBytes, segments: p.segments,
      })));
      process.stdout.write("\n");
      printTable(configs.filter((c) => c.source !== "default"));
    });

  addBrokerOptions(topic.command("delete <name>"))
    .description("delete a topic and all its data")
    .action(async (name: string, options: Record<string, unknown>) => {
      await withLogs(brokerOptions(options), (logs) => logs.deleteTopic(name));
      process.stdout.write(`deleted topic ${name}\n`);
    });

  addBrokerOptions(topic.command("config <name>"))
    .description("show a topic's configs, or change them with --set / --remove")
    .addOption(new Option("-s, --set <key=value>", "set an override (repeatable)").argParser(keyValueOption))
    .addOption(new Option("-r, --remove <key>", "remove an override, back to the default (repeatable)").argParser(collect))
    .option("--json", "print JSON")
    .action(async (name: string, options: Record<string, unknown>) => {
      const configs = await withLogs(brokerOptions(options), async (logs) => {
        if (options.set || options.remove) {
          await logs.alterTopicConfig(name, { set: options.set as Record<string, string>, remove: options.remove as string[] });
        }
        return effectiveConfig(logs, name);
      });
      if (options.json) printJson(configs);
      else printTable(configs);
    });
}
