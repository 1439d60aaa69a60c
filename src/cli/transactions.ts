// `tributary txn list|describe`: the transactions the broker coordinates,
// over the Kafka protocol (ListTransactions, DescribeTransactions, as Kafka's
// kafka-transactions tool asks) from a running broker, or from a stopped
// broker's data dir.

import * as fs from "node:fs";
import { Option, type Command } from "commander";
import { DataDirLockedError } from "../log/errors.js";
import { KafkaConnection } from "../cluster/kafka-connection.js";
import type { DescribeTransactionsResponse, ListTransactionsResponse } from "../protocol/generated/message-types.js";
import { kafkaErrorName } from "../protocol/kafka-error-codes.js";
import { addBrokerOptions, brokerOptions } from "./broker-options.js";
import { withLogs } from "./open-logs.js";
import { CliError, printJson, printTable } from "./output.js";
import { credentialsFromEnv, listenerOf, tlsFromEnv } from "./kafka-client.js";

interface TxnRow {
  transactional_id: string;
  producer_id: number;
  producer_epoch: number;
  state: string;
  timeout_ms: number;
  started: string | null;
  partitions: string[];
}

interface StoredRecord {
  transactionalId: string; producerId: number; producerEpoch: number; state: string; timeoutMs: number; startMs: number; partitions: string[];
}

function rowOf(r: StoredRecord): TxnRow {
  return {
    transactional_id: r.transactionalId, producer_id: r.producerId, producer_epoch: r.producerEpoch, state: r.state, timeout_ms: r.timeoutMs,
    started: r.startMs >= 0 ? new Date(r.startMs).toISOString() : null, partitions: r.partitions.map((k) => k.replace("\u0000", "-")),
  };
}

async function rows(options: Record<string, unknown>, ids: string[] | undefined): Promise<TxnRow[]> {
  const config = brokerOptions(options);
  const remote = async (address: string): Promise<TxnRow[]> => {
    let connection: KafkaConnection;
    try {
      connection = await KafkaConnection.connect(address, "tributary-cli", 10_000, tlsFromEnv(), credentialsFromEnv());
    } catch (err) {
      throw new CliError(`cannot reach the broker at ${address}: ${(err as Error).message}`);
    }
    try {
      const wanted = ids ?? (await connection.request(66, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1n }, 30_000) as unknown as ListTransactionsResponse)
        .transactionStates.map((t) => t.transactionalId);
      if (wanted.length === 0) return [];
      const described = await connection.request(65, 0, { transactionalIds: wanted }, 30_000) as unknown as DescribeTransactionsResponse;
      return described.transactionStates.map((t) => {
        if (t.errorCode) throw new CliError(`${t.transactionalId}: ${kafkaErrorName(t.errorCode)}`);
        return {
          transactional_id: t.transactionalId, producer_id: Number(t.producerId), producer_epoch: t.producerEpoch, state: t.transactionState,
          timeout_ms: t.transactionTimeoutMs, started: t.transactionStartTimeMs >= 0n ? new Date(Number(t.transactionStartTimeMs)).toISOString() : null,
          partitions: t.topics.flatMap((topic) => topic.partitions.map((p) => `${topic.topic}-${p}`)),
        };
      });
    } finally {
      connection.close();
    }
  };
  const broker = (options.broker as string | undefined) ?? process.env.TRIBUTARY_BROKER;
  if (broker) return remote(broker);
  const dataDir = config.dataDir ?? "./data";
  if (!fs.existsSync(dataDir)) throw new CliError(`no data dir at ${dataDir} (give --data-dir DIR, or --broker HOST:PORT for a running broker)`);
  try {
    return await withLogs(config, async (logs) => {
      const all: StoredRecord[] = [];
      for (const [key, value] of logs.transactionStore?.entries() ?? []) if (key.startsWith("txn/")) all.push(value as StoredRecord);
      const found = all.filter((r) => !ids || ids.includes(r.transactionalId)).sort((a, b) => a.transactionalId.localeCompare(b.transactionalId));
      for (const id of ids ?? []) if (!found.some((r) => r.transactionalId === id)) throw new CliError(`${id}: no such transactional id`);
      return found.map(rowOf);
    });
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    const listener = listenerOf(dataDir);
    if (!listener) throw err;
    return remote(listener);
  }
}

export function registerTransactions(program: Command): void {
  const txn = program.command("txn").description("transactions: who has one open, on which partitions, since when");
  const target = (command: Command) => addBrokerOptions(command, "--config-file <file>")
    .addOption(new Option("--broker <host:port>", "a running broker's Kafka listener (env TRIBUTARY_BROKER)"))
    .addOption(new Option("--json", "print JSON"));
  target(txn.command("list").description("every transactional id and the state of its transaction"))
    .action(async (options: Record<string, unknown>) => {
      const found = await rows(options, undefined);
      if (options.json) printJson(found);
      else if (found.length === 0) process.stdout.write("no transactional producers\n");
      else printTable(found.map((r) => ({ transactional_id: r.transactional_id, producer_id: r.producer_id, epoch: r.producer_epoch, state: r.state, started: r.started ?? "" })));
    });
  target(txn.command("describe").description("one transactional id's transaction: state, producer, timeout, partitions").argument("<transactional-id>"))
    .action(async (id: string, options: Record<string, unknown>) => {
      const [found] = await rows(options, [id]);
      if (options.json) printJson(found);
      else printTable([{ ...found!, partitions: found!.partitions.join(" ") }]);
    });
}
