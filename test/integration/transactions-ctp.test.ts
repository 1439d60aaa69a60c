// Exactly once through a consume-transform-produce loop: a kafkajs worker
// process reads input records and, in one transaction each, writes a result
// and commits the input offset. The worker is SIGKILLed at random moments
// and started again until the group's committed offset reaches the end of
// the input; then a read_committed reader finds each input's result exactly
// once. The seed is printed (TRIBUTARY_CRASH_SEED replays it).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { startBroker, type Broker } from "../../src/server/broker.js";
import { REPO_ROOT } from "../helpers/binaries.js";

let broker: Broker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, groupInitialRebalanceDelayMs: 0, warehouseEnabled: false });
  kafka = new Kafka({ brokers: broker.brokers, clientId: "ctp-test", logLevel: logLevel.NOTHING });
});

afterAll(async () => {
  await broker?.stop();
});

function worker(): ChildProcess {
  return spawn(process.execPath, [path.join(REPO_ROOT, "test/helpers/ctp-worker.mjs"), broker.brokers[0]!, "ctp-input", "ctp-output", "ctp-group", "ctp-worker"], { stdio: ["ignore", "pipe", "pipe"] });
}

describe("consume-transform-produce", () => {
  it("gives each input exactly one result across repeated SIGKILLs of the worker", async () => {
    const seed = Number(process.env.TRIBUTARY_CRASH_SEED ?? Date.now() % 1_000_000);
    console.log(`consume-transform-produce crash test seed ${seed}`);
    let s = seed >>> 0;
    const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const INPUTS = 300;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "ctp-input", numPartitions: 2 }, { topic: "ctp-output", numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "ctp-input", messages: Array.from({ length: INPUTS }, (_, i) => ({ key: `k${i}`, value: `in-${i}` })) });
    await producer.disconnect();
    const committed = async () => (await admin.fetchOffsets({ groupId: "ctp-group", topics: ["ctp-input"] }))[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    let kills = 0;
    const deadline = Date.now() + 150_000;
    while ((await committed()) < INPUTS && Date.now() < deadline) {
      const child = worker();
      const exited = new Promise((resolve) => child.on("exit", resolve));
      // Killed after a random while, unless it is the last round (then it runs to the end).
      const wait = 300 + Math.floor(rand() * 1500);
      await Promise.race([exited, new Promise((r) => setTimeout(r, wait))]);
      if ((await committed()) < INPUTS && kills < 8) {
        child.kill("SIGKILL");
        kills++;
      } else {
        while ((await committed()) < INPUTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        child.kill("SIGTERM");
      }
      await exited;
    }
    expect(await committed()).toBe(INPUTS);
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: "ctp-readers" });
    const results: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: "ctp-output", fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void results.push(message.value!.toString()) });
    const readDeadline = Date.now() + 20_000;
    while (results.length < INPUTS && Date.now() < readDeadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    await consumer.disconnect();
    console.log(`${kills} kills of the worker; ${results.length} results read`);
    expect(kills).toBeGreaterThan(2);
    expect(results.sort()).toEqual(Array.from({ length: INPUTS }, (_, i) => `result-of-in-${i}`).sort());
  });
});
