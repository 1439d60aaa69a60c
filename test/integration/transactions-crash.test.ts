// Transactions across SIGKILLs of the binary: a kafkajs transactional
// producer writes two-partition transactions, committing most and aborting
// some, while the broker is killed at random moments (before EndTxn, during
// it, between its markers) and started again. Afterwards a read_committed
// reader finds every acknowledged commit whole and once, no acknowledged
// abort, and every transaction whose end was not acknowledged either whole or
// not at all. A transaction left open by a kill is aborted at its timeout.
// The seed is printed (TRIBUTARY_CRASH_SEED replays it).
import { describe, expect, it } from "vitest";
import * as net from "node:net";
import { Kafka, logLevel } from "kafkajs";
import { serve, tributaryAsync, type RunningServer } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp-dir.js";

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("transactions across SIGKILLs", () => {
  it("commits stay whole and once, aborts stay invisible, unacknowledged ends are all or nothing", async () => {
    const seed = Number(process.env.TRIBUTARY_CRASH_SEED ?? Date.now() % 1_000_000);
    console.log(`transactions crash test seed ${seed}`);
    const rand = random(seed);
    const dir = tempDir();
    const port = await freePort();
    const args = ["--data-dir", dir, "--kafka-port", String(port), "--http-port", "0", "--group-initial-rebalance-delay-ms", "0", "--no-warehouse"];
    let server: RunningServer = await serve(args);
    const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], clientId: "txn-crash", logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "crash-tx", numPartitions: 2 }] });
    await admin.disconnect();
    const outcome = new Map<number, "committed" | "aborted" | "unknown">();
    let next = 0;
    for (let round = 0; round < 5; round++) {
      const producer = kafka.producer({ transactionalId: "crash-1", transactionTimeout: 2000, maxInFlightRequests: 1, idempotent: true, retry: { retries: 2, initialRetryTime: 50 } });
      await producer.connect();
      // The broker dies at a random moment of this round.
      const killAt = 200 + Math.floor(rand() * 1200);
      const killer = setTimeout(() => server.process.kill("SIGKILL"), killAt);
      try {
        for (;;) {
          const id = next++;
          const commit = id % 3 !== 0;
          outcome.set(id, "unknown");
          const tx = await producer.transaction();
          await tx.send({ topic: "crash-tx", messages: [{ value: `t${id}`, partition: 0 }, { value: `t${id}`, partition: 1 }] });
          if (commit) await tx.commit();
          else await tx.abort();
          outcome.set(id, commit ? "committed" : "aborted");
        }
      } catch {
        // the kill: this round's last transaction (if any) ended without an answer
      }
      clearTimeout(killer);
      await server.exited;
      await producer.disconnect().catch(() => undefined);
      server = await serve(args);
    }
    // A transaction a kill left open is aborted once its timeout (2 s) has passed, after the restart.
    let state = "";
    const settle = Date.now() + 15_000;
    while (Date.now() < settle) {
      const described = await tributaryAsync(["txn", "describe", "crash-1", "--json", "--broker", `127.0.0.1:${port}`]);
      expect(described.stderr).toBe("");
      const row = JSON.parse(described.stdout) as { state: string; partitions: string[] };
      state = row.state;
      if (state !== "Ongoing") {
        expect(row.partitions).toEqual([]);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(state).toMatch(/^(Empty|CompleteCommit|CompleteAbort)$/);

    const consumer = kafka.consumer({ groupId: "crash-readers" });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: "crash-tx", fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    const expected = [...outcome].filter(([, o]) => o === "committed").length * 2;
    const deadline = Date.now() + 20_000;
    while (seen.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    await consumer.disconnect();
    server.process.kill("SIGTERM");
    await server.exited;

    const tally = (o: string) => [...outcome.values()].filter((x) => x === o).length;
    console.log(`transactions: ${tally("committed")} committed, ${tally("aborted")} aborted, ${tally("unknown")} ended by a kill; ${seen.length} records read`);
    const counts = new Map<string, number>();
    for (const v of seen) counts.set(v, (counts.get(v) ?? 0) + 1);
    for (const [id, o] of outcome) {
      const n = counts.get(`t${id}`) ?? 0;
      if (o === "committed") expect(n, `transaction ${id} (committed)`).toBe(2);
      else if (o === "aborted") expect(n, `transaction ${id} (aborted)`).toBe(0);
      else expect([0, 2], `transaction ${id} (end not acknowledged)`).toContain(n);
    }
    expect([...outcome.values()].filter((o) => o === "committed").length).toBeGreaterThan(5);
  });
});
