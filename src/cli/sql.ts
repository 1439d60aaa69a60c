// `tributary sql`: one read-only statement against the warehouse file, also
// while the broker runs (SQLite's WAL lets readers in beside the loader), in
// a process of its own within the same limits as POST /sql.

import * as fs from "node:fs";
import * as path from "node:path";
import { Option, type Command } from "commander";
import { BROKER_SETTINGS, loadConfig } from "../config/config.js";
import { checkReadOnlySql, SqlRefusedError } from "../warehouse/sql-guard.js";
import { QueryError, QueryStoppedError, runQuery } from "../warehouse/query-process.js";
import { toCsv, toTable } from "../warehouse/answer-format.js";
import { CliError } from "./output.js";

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerSql(program: Command): void {
  const s = BROKER_SETTINGS;
  program.command("sql")
    .description("run one read-only SQL statement against the warehouse (also while the broker runs)")
    .argument("<statement>", "one SELECT, WITH, VALUES or EXPLAIN statement")
    .addOption(new Option("--data-dir <dir>", `the broker's data directory; the warehouse is DIR/warehouse.db (env ${s.dataDir.env}; default ${s.dataDir.default})`))
    .addOption(new Option("--warehouse <file>", `the warehouse file (env ${s.warehouse.env})`))
    .addOption(new Option("--config <file>", "JSON config file (env TRIBUTARY_CONFIG)"))
    .addOption(new Option("--format <format>", "table, json or csv").choices(["table", "json", "csv"]).default("table"))
    .addOption(new Option("--param <value>", "a value for the next ? of the statement (repeatable; text)").argParser(collect))
    .addOption(new Option("--sql-timeout-ms <ms>", s.sqlTimeoutMs.doc))
    .addOption(new Option("--sql-rows-max <n>", s.sqlRowsMax.doc))
    .action(async (statement: string, options: Record<string, string | string[] | undefined>) => {
      const config = loadConfig({
        configFile: options.config as string | undefined,
        flags: { dataDir: options.dataDir, warehouse: options.warehouse, sqlTimeoutMs: options.sqlTimeoutMs, sqlRowsMax: options.sqlRowsMax },
      });
      const file = config.warehouse || path.join(config.dataDir, "warehouse.db");
      if (!fs.existsSync(file)) throw new CliError(`no warehouse at ${path.resolve(file)} (give --warehouse FILE or --data-dir DIR of a broker that keeps one)`);
      let answer;
      try {
        const sql = checkReadOnlySql(statement);
        answer = await runQuery(
          { file, sql, params: (options.param as string[] | undefined) ?? [], rowsMax: config.sqlRowsMax, bytesMax: config.sqlResponseBytesMax },
          { timeoutMs: config.sqlTimeoutMs, memoryBytesMax: config.sqlMemoryBytesMax },
        );
      } catch (err) {
        if (err instanceof SqlRefusedError || err instanceof QueryError || err instanceof QueryStoppedError) throw new CliError(err.message);
        throw err;
      }
      if (options.format === "json") process.stdout.write(JSON.stringify(answer) + "\n");
      else if (options.format === "csv") process.stdout.write(toCsv(answer));
      else process.stdout.write(toTable(answer));
      if (answer.truncated && options.format !== "table") process.stderr.write(`tributary: the answer was cut at ${answer.rows.length} rows (--sql-rows-max)\n`);
    });
}
