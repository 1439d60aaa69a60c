import { Option, type Command } from "commander";
import { addBrokerOptions, brokerOptions } from "./broker-options.js";
import { withAdmin, type Admin } from "./admin.js";
import { CliError, collect, keyValueOption, printJson, printTable } from "./output.js";

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`'${value}' is not a positive integer`, 2);
  return Number(value);
}

/** The options of a topic command: a data dir (offline, or its running broker) or --broker. */
function topicCommand(parent: Command, spec: string): Command {
  return addBrokerOptions(parent.command(spec), "--config-file <file>")
    .addOption(new Option("--broker <host:port>", "a running broker to ask over the Kafka protocol, Tributary or any other (env TRIBUTARY_BROKER)"));
}

/** Runs `work` against the broker the options name; `mayCreate` for commands that may create a data dir. */
function run<T>(options: Record<string, unknown>, mayCreate: boolean, work: (admin: Admin) => Promise<T>): Promise<T> {
  return withAdmin(brokerOptions(options), { broker: options.broker as string | undefined, mayCreate }, work);
}

export function registerTopic(program: Command): void {
  const topic = program.command("topic").description("create, list, describe, delete and configure topics: on a data dir, its running broker, or --broker HOST:PORT");

  topicCommand(topic, "create <name>")
    .description("create a topic")
    .addOption(new Option("-p, --partitions <n>", "number of partitions").default(1).argParser(positiveInteger))
    .addOption(new Option("-c, --config <key=value>", "topic config, e.g. cleanup.policy=compact (repeatable)").argParser(keyValueOption))
    .option("--json", "print JSON")
    .action(async (name: string, options: Record<string, unknown>) => {
      const info = await run(options, true, (admin) => admin.createTopic(name, options.partitions as number, (options.config as Record<string, string>) ?? {}));
      if (options.json) printJson({ ...info, configs: (options.config as Record<string, string>) ?? {} });
      else process.stdout.write(`created topic ${info.name} (${info.partitions} partitions${info.id ? `, id ${info.id}` : ""})\n`);
    });

  topicCommand(topic, "list")
    .description("list topics")
    .option("-a, --all", "include internal topics")
    .option("--json", "print JSON")
    .action(async (options: Record<string, unknown>) => {
      const topics = await run(options, false, (admin) => admin.listTopics(Boolean(options.all)));
      if (options.json) printJson(topics);
      else if (topics.length === 0) process.stdout.write("no topics\n");
      else printTable(topics.map((t) => ({ topic: t.name, partitions: t.partitions, id: t.id, internal: t.internal ? "yes" : "" })));
    });

  topicCommand(topic, "describe <name>")
    .description("show a topic's id, configs and per-partition offsets")
    .option("--json", "print JSON")
    .action(async (name: string, options: Record<string, unknown>) => {
      const { described, configs } = await run(options, false, async (admin) => ({ described: await admin.describeTopic(name), configs: await admin.configs(name) }));
      const { topic: info, partitions } = described;
      if (options.json) {
        printJson({ name: info.name, id: info.id, internal: info.internal, configs, partitions });
        return;
      }
      process.stdout.write(`topic ${info.name}${info.id ? `  id ${info.id}` : ""}  partitions ${info.partitions}${info.internal ? "  (internal)" : ""}\n\n`);
      printTable(partitions.map((p) => ({
        partition: p.partition, log_start_offset: p.log_start_offset, high_watermark: p.high_watermark, size_bytes: p.size_bytes ?? "", segments: p.segments ?? "",
      })));
      process.stdout.write("\n");
      printTable(configs.filter((c) => c.source !== "default"));
    });

  topicCommand(topic, "delete <name>")
    .description("delete a topic and all its data")
    .action(async (name: string, options: Record<string, unknown>) => {
      await run(options, false, (admin) => admin.deleteTopic(name));
      process.stdout.write(`deleted topic ${name}\n`);
    });

  topicCommand(topic, "config <name>")
    .description("show a topic's configs, or change them with --set / --remove")
    .addOption(new Option("-s, --set <key=value>", "set an override (repeatable)").argParser(keyValueOption))
    .addOption(new Option("-r, --remove <key>", "remove an override, back to the default (repeatable)").argParser(collect))
    .option("--json", "print JSON")
    .action(async (name: string, options: Record<string, unknown>) => {
      const configs = await run(options, false, async (admin) => {
        if (options.set || options.remove) await admin.alterConfigs(name, (options.set as Record<string, string>) ?? {}, (options.remove as string[]) ?? []);
        return admin.configs(name);
      });
      if (options.json) printJson(configs);
      else printTable(configs);
    });

  topicCommand(topic, "add-partitions <name> <total>")
    .description("grow a topic to <total> partitions (never fewer: records keep their partitions)")
    .action(async (name: string, total: string, options: Record<string, unknown>) => {
      const count = positiveInteger(total);
      await run(options, false, (admin) => admin.addPartitions(name, count));
      process.stdout.write(`topic ${name} has ${count} partitions\n`);
    });

  topicCommand(topic, "delete-records <name>")
    .description("delete a partition's records before an offset (Kafka's DeleteRecords): its log start moves there")
    .requiredOption("--partition <p>", "the partition", positiveInteger)
    .requiredOption("--before <offset>", "the first offset to keep", positiveInteger)
    .action(async (name: string, options: Record<string, unknown>) => {
      const start = await run(options, false, (admin) => admin.deleteRecords(name, options.partition as number, options.before as number));
      process.stdout.write(`${name}-${options.partition as number}: log start is now ${start}\n`);
    });
}
