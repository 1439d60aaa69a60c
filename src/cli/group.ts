import type { Command } from "commander";
import { groupLag } from "../server/group-lag.js";
import { addBrokerOptions, brokerOptions } from "./broker-options.js";
import { withLogs } from "./open-logs.js";
import { CliError, printJson, printTable } from "./output.js";

export function registerGroup(program: Command): void {
  const group = program.command("group").description("consumer groups: committed offsets and lag (on a stopped broker's data dir)");

  addBrokerOptions(group.command("list"))
    .description("list groups with committed offsets and their total lag")
    .option("--json", "print JSON")
    .action(async (options: Record<string, unknown>) => {
      const groups = await withLogs(brokerOptions(options), async (logs) => Promise.all((await logs.offsets.groups()).map(async (name) => {
        const lags = await groupLag(logs, name);
        return { group: name, partitions: lags.length, lag: lags.reduce((sum, l) => sum + Math.max(0, l.lag), 0) };
      })));
      if (options.json) printJson(groups);
      else if (groups.length === 0) process.stdout.write("no groups\n");
      else printTable(groups);
    });

  addBrokerOptions(group.command("describe <name>"))
    .description("per partition: committed offset, high watermark and lag")
    .option("--json", "print JSON")
    .action(async (name: string, options: Record<string, unknown>) => {
      const lags = await withLogs(brokerOptions(options), async (logs) => groupLag(logs, name));
      if (lags.length === 0) throw new CliError(`group '${name}' has no committed offsets`);
      if (options.json) printJson(lags);
      else printTable(lags.map((l) => ({ ...l, logEnd: l.logEnd < 0 ? "(topic deleted)" : l.logEnd, lag: l.lag < 0 ? "" : l.lag, metadata: l.metadata ?? "" })));
    });
}
