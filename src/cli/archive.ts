// `tributary archive list | verify | restore`: the archive read without a
// broker, with the same --archive and --s3-endpoint settings (and
// environment) as `serve`.

import type { Command } from "commander";
import { Option } from "commander";
import { BROKER_SETTINGS, loadConfig } from "../config/config.js";
import { parseArchiveUrl, type ObjectStore } from "../archive/object-store.js";
import { S3Store } from "../archive/s3-store.js";
import { archivedPartitions, readCatalog, verifyArchive } from "../archive/archive-reader.js";
import { restoreDataDir } from "../archive/restore.js";
import { CliError, collect, printJson, printTable } from "./output.js";

function withArchiveOptions(command: Command): Command {
  return command
    .addOption(new Option("--archive <s3-url>", `s3://BUCKET/PREFIX (env ${BROKER_SETTINGS.archive.env})`))
    .addOption(new Option("--s3-endpoint <url>", `${BROKER_SETTINGS.s3Endpoint.doc} (env ${BROKER_SETTINGS.s3Endpoint.env})`))
    .addOption(new Option("--config <file>", "JSON config file (env TRIBUTARY_CONFIG)"));
}

function openStore(options: Record<string, unknown>): ObjectStore {
  const config = loadConfig({ configFile: options.config as string | undefined, flags: { archive: options.archive, s3Endpoint: options.s3Endpoint } });
  if (!config.archive) throw new CliError("no archive given: --archive s3://BUCKET/PREFIX (or TRIBUTARY_ARCHIVE)", 2);
  let location;
  try {
    location = parseArchiveUrl(config.archive);
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
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

export function registerArchive(program: Command): void {
  const archive = program.command("archive").description("read the S3 archive without a broker: list, verify, restore");

  withArchiveOptions(archive.command("list"))
    .description("topics and partitions in the archive: offset and time ranges, segments and bytes")
    .option("--json", "print JSON")
    .action(async (options: Record<string, unknown>) => {
      const store = openStore(options);
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
      const store = openStore(options);
      const result = await attempt(() => verifyArchive(store));
      for (const problem of result.problems) process.stdout.write(`PROBLEM ${problem}\n`);
      process.stdout.write(`${result.segments} segments, ${result.bytes} bytes checked; ${result.problems.length} problems\n`);
      if (result.problems.length > 0) process.exitCode = 1;
    });

  withArchiveOptions(archive.command("restore"))
    .description("rebuild a data directory from the archive (topics, configs, schemas, segments); serve then opens it")
    .addOption(new Option("--data-dir <dir>", "the new data directory (must be empty or missing)").makeOptionMandatory())
    .addOption(new Option("--topic <name>", "restore only this topic (repeatable)").argParser(collect))
    .addOption(new Option("--to-time <iso>", "restore each partition only up to this time"))
    .action(async (options: Record<string, unknown>) => {
      const store = openStore(options);
      let toTimeMs: number | undefined;
      if (options.toTime !== undefined) {
        toTimeMs = Date.parse(String(options.toTime));
        if (Number.isNaN(toTimeMs)) throw new CliError(`--to-time '${String(options.toTime)}' is not an ISO date and time`, 2);
      }
      const report = await attempt(() => restoreDataDir(store, String(options.dataDir), {
        topics: options.topic as string[] | undefined,
        toTimeMs,
        onPartition: (topic, partition, segments, nextOffset) => process.stderr.write(`restored ${topic}-${partition}: ${segments} segments, up to offset ${nextOffset}\n`),
      }));
      process.stdout.write(`restored ${report.topics} topics, ${report.partitions} partitions, ${report.segments} segments, ${report.bytes} bytes into ${String(options.dataDir)}\n`);
    });
}
