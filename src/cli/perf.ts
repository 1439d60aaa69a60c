// `tributary perf produce|consume`: the throughput test a user runs against
// Tributary or any other Kafka-compatible broker. A progress line on stderr
// each second, then one JSON line on stdout: records, records_per_sec,
// mb_per_sec and latency percentiles from an HDR histogram (produce: send to
// acknowledgement of each request, for its records; consume: a record's
// timestamp to its delivery).

import { randomUUID } from "node:crypto";
import { Option, type Command } from "commander";
import { brokerAddress, kafkaClient, kafkaErrorLine } from "./kafka-client.js";
import { CliError } from "./output.js";

interface Histogram {
  recordValue(value: number): void;
  getValueAtPercentile(percentile: number): number;
  readonly maxValue: number;
  readonly totalCount: number;
}

async function histogram(): Promise<Histogram> {
  const hdr = await import("hdr-histogram-js");
  // Microseconds from 1 µs to an hour, three significant digits.
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 }) as unknown as Histogram;
}

function positive(name: string, value: unknown): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${name} '${String(value)}' is not a positive integer`, 2);
  return n;
}

function summary(records: number, bytes: number, seconds: number, h: Histogram): Record<string, number> {
  const ms = (p: number) => Number((h.getValueAtPercentile(p) / 1000).toFixed(3));
  return {
    records, seconds: Number(seconds.toFixed(3)), records_per_sec: Math.round(records / seconds), mb_per_sec: Number((bytes / 1e6 / seconds).toFixed(2)),
    // The histogram reports a percentile as the top of its bucket: the max is at least that.
    p50_ms: ms(50), p99_ms: ms(99), p999_ms: ms(99.9), max_ms: Math.max(ms(99.9), Number((h.maxValue / 1000).toFixed(3))),
  };
}

/** Prints a progress line to stderr every second until stopped. */
function progress(line: () => string): () => void {
  const timer = setInterval(() => process.stderr.write(line() + "\n"), 1000);
  return () => clearInterval(timer);
}

function perfOptions(command: Command): Command {
  return command
    .addOption(new Option("--broker <host:port>", "the broker (env TRIBUTARY_BROKER; default 127.0.0.1:9092)"))
    .requiredOption("--topic <topic>", "the topic (perf produce creates it when missing)")
    .requiredOption("--records <n>", "how many records")
    .addOption(new Option("--record-size <bytes>", "bytes of each record's value").default("100"));
}

export function registerPerf(program: Command): void {
  const perf = program.command("perf").description("measure produce or consume throughput and latency against any Kafka-compatible broker");

  perfOptions(perf.command("produce"))
    .description("send --records records of --record-size bytes; prints a JSON line of the results")
    .addOption(new Option("--rate <records-per-sec>", "at most this many records a second (default: as fast as the broker takes them)"))
    .addOption(new Option("--acks <acks>", "all, 1 or 0").choices(["all", "1", "0"]).default("all"))
    .addOption(new Option("--compression <codec>", "none, gzip, snappy, lz4 or zstd").choices(["none", "gzip", "snappy", "lz4", "zstd"]).default("none"))
    .addOption(new Option("--partitions <n>", "partitions of the topic when perf creates it").default("1"))
    .addOption(new Option("--batch <n>", "records in one produce request").default("200"))
    .addOption(new Option("--in-flight <n>", "produce requests outstanding at once").default("4"))
    .action(async (options: Record<string, unknown>) => {
      const total = positive("--records", options.records);
      const size = positive("--record-size", options.recordSize);
      const batchSize = positive("--batch", options.batch);
      const inFlight = positive("--in-flight", options.inFlight);
      const rate = options.rate === undefined ? undefined : positive("--rate", options.rate);
      const broker = brokerAddress(options);
      const { kafka, kafkajs } = await kafkaClient(broker, "tributary-perf");
      const admin = kafka.admin();
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      try {
        await admin.connect();
        if (!(await admin.listTopics()).includes(options.topic as string)) {
          await admin.createTopics({ topics: [{ topic: options.topic as string, numPartitions: positive("--partitions", options.partitions) }] });
        }
        await admin.disconnect();
        await producer.connect();
      } catch (err) {
        throw new CliError(`${broker}: ${kafkaErrorLine(err) ?? (err as Error).message}`);
      }
      const codecs = kafkajs.CompressionTypes;
      const compression = { none: codecs.None, gzip: codecs.GZIP, snappy: codecs.Snappy, lz4: codecs.LZ4, zstd: codecs.ZSTD }[options.compression as "none"];
      const acks = options.acks === "all" ? -1 : Number(options.acks);
      const value = Buffer.alloc(size, 0x61);
      const messages = Array.from({ length: batchSize }, () => ({ value }));
      const h = await histogram();
      let sent = 0;
      let acked = 0;
      const started = performance.now();
      const stop = progress(() => {
        const s = (performance.now() - started) / 1000;
        return `${acked} records acknowledged, ${Math.round(acked / s)} records/s, ${(acked * size / 1e6 / s).toFixed(2)} MB/s, p99 ${(h.getValueAtPercentile(99) / 1000).toFixed(1)} ms`;
      });
      const worker = async () => {
        while (sent < total) {
          const n = Math.min(batchSize, total - sent);
          sent += n;
          if (rate) {
            const due = started + (sent / rate) * 1000;
            if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
          }
          const t = performance.now();
          await producer.send({ topic: options.topic as string, acks, compression, messages: n === batchSize ? messages : messages.slice(0, n) });
          const micros = Math.max(1, Math.round((performance.now() - t) * 1000));
          for (let i = 0; i < n; i++) h.recordValue(micros);
          acked += n;
        }
      };
      try {
        await Promise.all(Array.from({ length: inFlight }, worker));
      } catch (err) {
        throw new CliError(`${kafkaErrorLine(err) ?? (err as Error).message} (after ${acked} records were acknowledged)`);
      } finally {
        stop();
        await producer.disconnect();
      }
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(JSON.stringify({ test: "produce", broker, topic: options.topic, record_size: size, acks: options.acks, compression: options.compression, ...summary(acked, acked * size, seconds, h) }) + "\n");
    });

  perfOptions(perf.command("consume"))
    .description("read --records records from the start of the topic in a new group; prints a JSON line of the results")
    .action(async (options: Record<string, unknown>) => {
      const total = positive("--records", options.records);
      const broker = brokerAddress(options);
      const { kafka } = await kafkaClient(broker, "tributary-perf");
      const consumer = kafka.consumer({ groupId: `tributary-perf-${randomUUID()}`, maxBytes: 64 * 1024 * 1024 });
      const h = await histogram();
      let received = 0;
      let bytes = 0;
      let finish!: () => void;
      const done = new Promise<void>((resolve) => (finish = resolve));
      let started = 0;
      try {
        await consumer.connect();
        await consumer.subscribe({ topic: options.topic as string, fromBeginning: true });
      } catch (err) {
        throw new CliError(`${broker}: ${kafkaErrorLine(err) ?? (err as Error).message}`);
      }
      const stop = progress(() => {
        const s = started ? (performance.now() - started) / 1000 : 0;
        return `${received} records received, ${s ? Math.round(received / s) : 0} records/s, ${s ? (bytes / 1e6 / s).toFixed(2) : "0.00"} MB/s`;
      });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (!started) started = performance.now();
          const now = Date.now();
          for (const m of batch.messages) {
            if (received >= total) break;
            received++;
            bytes += m.value?.length ?? 0;
            h.recordValue(Math.max(1, (now - Number(m.timestamp)) * 1000));
          }
          if (received >= total) finish();
        },
      });
      await done;
      stop();
      const seconds = (performance.now() - started) / 1000;
      await consumer.disconnect();
      process.stdout.write(JSON.stringify({ test: "consume", broker, topic: options.topic, latency: "record timestamp to delivery", ...summary(received, bytes, seconds, h) }) + "\n");
    });
}
