import type { Command } from "commander";
import * as fs from "node:fs";
import { verifyDataDir } from "../log/verify.js";
import { DataDirLock } from "../log/data-dir-lock.js";
import { addBrokerOptions, brokerOptions } from "./broker-options.js";
import { CliError, printJson } from "./output.js";

export function registerLog(program: Command): void {
  const log = program.command("log").description("inspect the stored log");
  addBrokerOptions(log.command("verify"))
    .description("check every batch CRC and every index entry; exit 1 when anything is damaged")
    .option("--json", "print JSON")
    .action((options: Record<string, unknown>) => {
      const { dataDir } = brokerOptions(options);
      if (!dataDir || !fs.existsSync(dataDir)) throw new CliError(`data dir ${dataDir} does not exist`);
      // A running broker is still writing: its tail would read as torn.
      const lock = DataDirLock.acquire(dataDir);
      let report;
      try {
        report = verifyDataDir(dataDir);
      } finally {
        lock.release();
      }
      if (options.json) printJson(report);
      else {
        for (const p of report.problems) process.stdout.write(`DAMAGED ${p.file} at byte ${p.position}: ${p.reason}\n`);
        for (const t of report.tornTails) process.stdout.write(`TORN TAIL ${t.file} at byte ${t.position}: ${t.reason} (a write the crash interrupted, never acknowledged; the next start cuts it)\n`);
        process.stdout.write(`${report.partitions} partitions, ${report.segments} segments, ${report.batches} batches, ${report.bytes} bytes: ` +
          `${report.problems.length === 0 ? "all intact" : `${report.problems.length} problems`}\n`);
      }
      if (report.problems.length > 0) process.exitCode = 1;
    });
}
