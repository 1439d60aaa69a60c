// `tributary archive list | verify | restore`: the archive read without a
// broker, with the same --archive and --s3-endpoint settings (and
// environment) as `serve`.

import type { Command } from "commander";
import { Option } from "commander";
import { BROKER_SETTINGS, loadConfig } from "../config/config.js";
import { parseArchiveUrl, type ObjectStore } from "../archive/object-store.js";
import { archivedPartitions, readCatalog, verifyArchive } from "../archive/archive-reader.js";
import { restoreDataDir } from "../archive/restore.js";
import { exportTopic, type ValueColumn } from "../archive/export.js";
import { archivedRegistry } from "../archive/archive-reader.js";
import { SchemaRegistry } from "../schema/schema-registry.js";
import { CliError, collect, printJson, printTable } from "./output.js";
import { progressBar } from "./progress.js";

function withArchiveOptions(command: Command): Command {
  return command
    .addOption(new Option("--archive <s3-url>", `s3://BUCKET/PREFIX (env ${BROKER_SETTINGS.archive.env})`))
    .addOption(new Option("--s3-endpoint <url>", `${BROKER_SETTINGS.s3Endpoint.doc} (env ${BROKER_SETTINGS.s3Endpoint.env})`))
    .addOption(new Option("--config <file>", "JSON config file (env TRIBUTARY_CONFIG)"));
}

async function openStore(options: Record<string, unknown>): Promise<ObjectStore> {
  const config = loadConfig({ configFile: options.config as string | undefined, flags: { archive: options.archive, s3Endpoint: options.s3Endpoint } });
  if (!config.archive) throw new CliError("no archive given: --archive s3://BUCKET/PREFIX (or TRIBUTARY_ARCHIVE)", 2);
  let location;
  try {
    location = parseArchiveUrl(config.archive);
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
  // The S3 client loads only for the commands that need it (it costs every other command's start-up).
  const { S3Store } = await import("../archive/s3-store.js");
  return new S3Store(location, config.s3Endpoint);
}

async function attempt<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message);
  }
}

/** The Parquet value columns: the top-level properties of the topic's latest JSON Schema in the archived registry. */
async function valueColumns(store: ObjectStore, topic: string): Promise<ValueColumn[]> {
  const latest = new SchemaRegistry(await archivedRegistry(store)).latest(`${topic}-value`);
  if (!latest || latest.schemaType !== "JSON") return [];
  const schema = JSON.parse(latest.schema) as { properties?: Record<string, { type?: unknown }> };
  const columnType = (type: unknown): ValueColumn["type"] => {
    const t = Array.isArray(type) ? type.find((x) => x !== "null") : type;
    return t === "integer" ? "INT64" : t === "number" ? "DOUBLE" : t === "boolean" ? "BOOLEAN" : t === "string" ? "STRING" : "JSON";
  };
  return Object.entries(schema.properties ?? {}).map(([name, p]) => ({ name, type: columnType(p?.type) }));
}

export function registerArchive(program: Command): void {
  const archive = program.command("archive").description("read the S3 archive without a broker: list, verify, restore");

  withArchiveOptions(archive.command("list"))
    .description("topics and partitions in the archive: offset and time ranges, segments and bytes")
    .option("--json", "print JSON")
    .action(async (options: Record<string, unknown>) => {
      const store = await openStore(options);
      const rows = await attempt(async () => {
        const catalog = await readCatalog(store);
        return (await archivedPartitions(store, catalog)).map(({ topic, partition, manifest }) => {
          const segments = manifest?.segments ?? [];
          const times = segments.map((s) => s.maxTimestamp).filter((t) => t >= 0);
          return {
            topic: topic.name, partition, segments: segments.length, bytes: segments.reduce((n, s) => n + s.size, 0),
            fromOffset: segments[0]?.baseOffset ?? null, toOffset: segments.length ? segments[segments.length - 1]!.nextOffset : null,
            newest: times.length ? new Date(Math.max(...times)).toISOString() : null,
          };
        });
      });
      if (options.json) printJson(rows);
      else if (rows.length === 0) process.stdout.write("the archive holds no topics\n");
      else printTable(rows.map((r) => ({ ...r, fromOffset: r.fromOffset ?? "", toOffset: r.toOffset ?? "", newest: r.newest ?? "" })));
    });

  withArchiveOptions(archive.command("verify"))
    .description("check every archived object against its manifest and every batch's CRC; exit 1 naming what is wrong")
    .action(async (options: Record<string, unknown>) => {
      const store = await openStore(options);
      const bar = await progressBar("verify");
      const result = await attempt(() => verifyArchive(store, bar)).finally(() => bar.stop());
      for (const problem of result.problems) process.stdout.write(`PROBLEM ${problem}\n`);
      process.stdout.write(`${result.segments} segments, ${result.bytes} bytes checked; ${result.problems.length} problems\n`);
      if (result.problems.length > 0) process.exitCode = 1;
    });

  withArchiveOptions(archive.command("export"))
    .description("write a topic's archived records as NDJSON or Parquet (columns from its JSON Schema), reading the archive only")
    .addOption(new Option("--topic <name>", "the topic").makeOptionMandatory())
    .addOption(new Option("--format <format>", "ndjson or parquet").choices(["ndjson", "parquet"]).default("ndjson"))
    .addOption(new Option("--from <iso>", "records from this time on"))
    .addOption(new Option("--to <iso>", "records up to this time"))
    .addOption(new Option("--out <file>", "where to write (NDJSON: stdout when none)"))
    .action(async (options: Record<string, unknown>) => {
      const store = await openStore(options);
      const time = (flag: string, raw: unknown): number | undefined => {
        if (raw === undefined) return undefined;
        const ms = Date.parse(String(raw));
        if (Number.isNaN(ms)) throw new CliError(`${flag} '${String(raw)}' is not an ISO date and time`, 2);
        return ms;
      };
      const format = options.format as "ndjson" | "parquet";
      if (format === "parquet" && options.out === undefined) throw new CliError("a Parquet export needs --out FILE", 2);
      const topic = String(options.topic);
      const count = await attempt(async () => exportTopic(store, {
        topic, format, fromMs: time("--from", options.from), toMs: time("--to", options.to), out: options.out as string | undefined,
        columns: format === "parquet" ? await valueColumns(store, topic) : undefined,
      }));
      process.stderr.write(`exported ${count} records of ${topic}${options.out ? ` to ${String(options.out)}` : ""}\n`);
    });

  withArchiveOptions(archive.command("restore"))
    .description("rebuild a data directory from the archive (topics, configs, schemas, segments); serve then opens it")
    .addOption(new Option("--data-dir <dir>", "the new data directory (must be empty or missing)").makeOptionMandatory())
    .addOption(new Option("--topic <name>", "restore only this topic (repeatable)").argParser(collect))
    .addOption(new Option("--to-time <iso>", "restore each partition only up to this time"))
    .action(async (options: Record<string, unknown>) => {
      const store = await openStore(options);
      let toTimeMs: number | undefined;
      if (options.toTime !== undefined) {
        toTimeMs = Date.parse(String(options.toTime));
        if (Number.isNaN(toTimeMs)) throw new CliError(`--to-time '${String(options.toTime)}' is not an ISO date and time`, 2);
      }
      const bar = await progressBar("restore");
      const lines: string[] = [];
      const report = await attempt(() => restoreDataDir(store, String(options.dataDir), {
        topics: options.topic as string[] | undefined,
        toTimeMs,
        onStart: (partitions) => bar.start(partitions),
        onPartition: (topic, partition, segments, nextOffset) => {
          lines.push(`restored ${topic}-${partition}: ${segments} segments, up to offset ${nextOffset}`);
          bar.tick();
        },
      })).finally(() => bar.stop());
      for (const line of lines) process.stderr.write(`${line}\n`);
      process.stdout.write(`restored ${report.topics} topics, ${report.partitions} partitions, ${report.segments} segments, ${report.bytes} bytes into ${String(options.dataDir)}\n`);
    });
}
