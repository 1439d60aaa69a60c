import { Option, type Command } from "commander";
import { addBrokerOptions, brokerOptions } from "./broker-options.js";
import { withAdmin, type Admin, type ResetTarget } from "./admin.js";
import { CliError, printJson, printTable } from "./output.js";

function groupCommand(parent: Command, spec: string): Command {
  return addBrokerOptions(parent.command(spec), "--config-file <file>")
    .addOption(new Option("--broker <host:port>", "a running broker to ask over the Kafka protocol, Tributary or any other (env TRIBUTARY_BROKER)"));
}

function run<T>(options: Record<string, unknown>, work: (admin: Admin) => Promise<T>): Promise<T> {
  return withAdmin(brokerOptions(options), { broker: options.broker as string | undefined, mayCreate: false }, work);
}

function integer(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new CliError(`'${value}' is not an integer`, 2);
  return Number(value);
}

/** The one target the reset options name. */
function resetTarget(options: Record<string, unknown>): ResetTarget {
  const targets: ResetTarget[] = [];
  if (options.toEarliest) targets.push({ to: "earliest" });
  if (options.toLatest) targets.push({ to: "latest" });
  if (options.toOffset !== undefined) targets.push({ to: "offset", offset: options.toOffset as number });
  if (options.shiftBy !== undefined) targets.push({ to: "shift", by: options.shiftBy as number });
  if (options.toDatetime !== undefined) {
    const timestamp = Date.parse(options.toDatetime as string);
    if (Number.isNaN(timestamp)) throw new CliError(`'${options.toDatetime as string}' is not an ISO date and time (e.g. 2026-11-29T08:00:00Z)`, 2);
    targets.push({ to: "datetime", timestamp });
  }
  if (targets.length !== 1) throw new CliError("give exactly one of --to-earliest, --to-latest, --to-offset N, --to-datetime ISO, --shift-by N", 2);
  return targets[0]!;
}

export function registerGroup(program: Command): void {
  const group = program.command("group").description("consumer groups: committed offsets, lag, deletion and offset resets: on a data dir, its running broker, or --broker HOST:PORT");

  groupCommand(group, "list")
    .description("list groups with their state, members, committed partitions and total lag")
    .option("--json", "print JSON")
    .action(async (options: Record<string, unknown>) => {
      const groups = await run(options, async (admin) => Promise.all((await admin.listGroups()).map(async (g) => {
        const lags = await admin.groupLag(g.group);
        return { ...g, partitions: lags.length, lag: lags.reduce((sum, l) => sum + Math.max(0, l.lag), 0) };
      })));
      if (options.json) printJson(groups);
      else if (groups.length === 0) process.stdout.write("no groups\n");
      else printTable(groups);
    });

  groupCommand(group, "describe <name>")
    .description("per partition: committed offset, high watermark and lag")
    .option("--json", "print JSON")
    .action(async (name: string, options: Record<string, unknown>) => {
      const lags = await run(options, (admin) => admin.groupLag(name));
      if (lags.length === 0) throw new CliError(`group '${name}' has no committed offsets`);
      if (options.json) printJson(lags);
      else printTable(lags.map((l) => ({ ...l, high_watermark: l.high_watermark < 0 ? "(topic deleted)" : l.high_watermark, lag: l.lag < 0 ? "" : l.lag, metadata: l.metadata ?? "" })));
    });

  groupCommand(group, "delete <name>")
    .description("delete a group and its committed offsets (refused while it has members)")
    .action(async (name: string, options: Record<string, unknown>) => {
      await run(options, async (admin) => {
        const members = await admin.groupMembers(name);
        if (members > 0) throw new CliError(`group '${name}' has ${members} member${members > 1 ? "s" : ""}: stop its consumers first`);
        await admin.deleteGroup(name);
      });
      process.stdout.write(`deleted group ${name}\n`);
    });

  groupCommand(group, "reset-offsets <name>")
    .description("move a group's committed offsets of a topic; prints old and new offsets, and writes them only with --execute (refused while the group has members)")
    .requiredOption("--topic <topic>", "the topic whose offsets move")
    .option("--to-earliest", "to each partition's log start")
    .option("--to-latest", "to each partition's high watermark")
    .addOption(new Option("--to-offset <n>", "to this offset (within each partition's range)").argParser(integer))
    .option("--to-datetime <iso>", "to the first offset at or after this time")
    .addOption(new Option("--shift-by <n>", "by this many (negative: back), within each partition's range").argParser(integer))
    .option("--execute", "write the new offsets (without it: a dry run)")
    .option("--json", "print JSON")
    .action(async (name: string, options: Record<string, unknown>) => {
      const target = resetTarget(options);
      const execute = Boolean(options.execute);
      const changes = await run(options, async (admin) => {
        const members = await admin.groupMembers(name);
        if (members > 0) throw new CliError(`group '${name}' has ${members} member${members > 1 ? "s" : ""}: offsets can only be reset while it is empty (stop its consumers first)`);
        return admin.resetOffsets(name, options.topic as string, target, execute);
      });
      if (options.json) printJson({ group: name, executed: execute, partitions: changes });
      else {
        printTable(changes.map((c) => ({ topic: c.topic, partition: c.partition, current: c.current < 0 ? "(none)" : c.current, new: c.next })));
        process.stdout.write(execute ? "offsets written\n" : "dry run: nothing written (add --execute to write these offsets)\n");
      }
    });
}
