// The npm package as a test suite gets it: packed with `npm pack`, installed
// from the tarball into an empty project, then used there without the
// compiled binary: `import { startBroker } from "tributary"` under Node and
// Bun with a kafkajs round trip, its TypeScript types checked, and `npx
// tributary serve --ephemeral`.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { BUN, REPO_ROOT } from "../helpers/binaries.js";
import { tempDir } from "../helpers/temp-dir.js";

function run(command: string, args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 400_000, env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(command: string, args: string[], cwd: string): string {
  const r = run(command, args, cwd);
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.status}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

const ROUND_TRIP = `
import { Kafka, logLevel } from "kafkajs";
import { startBroker } from "tributary";

const broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, groupInitialRebalanceDelayMs: 0, logLevel: "warn" });
const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
const producer = kafka.producer();
await producer.connect();
await producer.send({ topic: "orders", messages: [{ key: "a", value: "first" }, { key: "b", value: "second" }] });
await producer.disconnect();
const consumer = kafka.consumer({ groupId: "readers" });
await consumer.connect();
await consumer.subscribe({ topic: "orders", fromBeginning: true });
const values = [];
await new Promise((resolve) => {
  void consumer.run({ eachMessage: async ({ message }) => {
    values.push(message.value.toString());
    if (values.length === 2) resolve();
  } });
});
await consumer.disconnect();
const stored = await broker.logs.partition("orders", 0).offsets();
await broker.stop();
console.log(JSON.stringify({ values, highWatermark: stored.highWatermark, runtime: typeof Bun === "undefined" ? "node" : "bun" }));
`;

const TYPED = `
import { startBroker, type Broker, type StartOptions } from "tributary";
const options: StartOptions = { ephemeral: true, kafkaPort: 0, httpPort: 0 };
const broker: Broker = await startBroker(options);
const brokers: string[] = broker.brokers;
const high: number = (await broker.logs.partition("t", 0).offsets()).highWatermark;
await broker.stop();
export { brokers, high };
`;

const MISTYPED = `
import { startBroker } from "tributary";
await startBroker({ kafkaPort: "nine" });
`;

describe("the npm package", () => {
  it("packs, installs into an empty project, and gives it startBroker with types and the tributary command", async () => {
    const project = tempDir();
    const tarball = ok("npm", ["pack", "--silent", "--pack-destination", project], REPO_ROOT).trim().split("\n").at(-1)!;
    const listed = ok("tar", ["-tzf", path.join(project, tarball)], project).split("\n");
    expect(listed).toContain("package/lib/index.js");
    expect(listed).toContain("package/lib/index.d.ts");
    expect(listed).toContain("package/bin/tributary.js");
    expect(listed.filter((f) => f.startsWith("package/dist/") || f.startsWith("package/src/") || f.startsWith("package/test/"))).toEqual([]);

    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "a-service", private: true, type: "module" }));
    // better-sqlite3 (the warehouse under Node) builds from source where no prebuilt binary is reachable: minutes at most.
    ok("npm", ["install", "--save-dev", "--prefer-offline", `./${tarball}`, "kafkajs@2.2.4", "@types/node@20.19.43"], project);
    expect(fs.existsSync(path.join(project, "node_modules/tributary/dist"))).toBe(false);

    fs.writeFileSync(path.join(project, "round-trip.mjs"), ROUND_TRIP);
    const onNode = JSON.parse(ok(process.execPath, ["round-trip.mjs"], project).trim().split("\n").at(-1)!);
    expect(onNode).toEqual({ values: ["first", "second"], highWatermark: 2, runtime: "node" });
    const onBun = JSON.parse(ok(BUN, ["round-trip.mjs"], project).trim().split("\n").at(-1)!);
    expect(onBun).toEqual({ values: ["first", "second"], highWatermark: 2, runtime: "bun" });

    // The types: a correct use compiles, a wrong one does not.
    const tsc = path.join(REPO_ROOT, "node_modules/typescript/bin/tsc");
    fs.writeFileSync(path.join(project, "tsconfig.json"), JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, types: ["node"] },
      files: ["typed.ts"],
    }));
    fs.writeFileSync(path.join(project, "typed.ts"), TYPED);
    ok(process.execPath, [tsc, "-p", "."], project);
    fs.writeFileSync(path.join(project, "typed.ts"), MISTYPED);
    const mistyped = run(process.execPath, [tsc, "-p", "."], project);
    expect(mistyped.status).not.toBe(0);
    expect(mistyped.stdout).toMatch(/typed\.ts.*Type 'string' is not assignable to type 'number'/);

    // npx tributary: the package's JavaScript command, not the compiled binary.
    expect(ok("npx", ["--no-install", "tributary", "--version"], project).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    // In a process group of its own, to be stopped as a terminal's Ctrl-C stops it: npm does not pass signals on.
    const server = spawn("npx", ["--no-install", "tributary", "serve", "--ephemeral", "--kafka-port", "0", "--http-port", "0"],
      { cwd: project, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    // The output ends when the last process writing it (tributary, npm's child) has exited.
    const exited = new Promise<void>((resolve) => server.stdout.on("close", resolve));
    const ready = await new Promise<string>((resolve, reject) => {
      server.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        const line = stdout.split("\n").find((l) => l.startsWith("tributary ready"));
        if (line) resolve(line);
      });
      void exited.then(() => reject(new Error(`npx tributary serve ended before it was ready: ${stdout}`)));
    });
    const http = /http (http:\/\/\S+),/.exec(ready)![1]!;
    const dataDir = /data dir (\S+) \(ephemeral\)/.exec(ready)![1]!;
    expect((await fetch(`${http}/healthz`)).status).toBe(200);
    process.kill(-server.pid!, "SIGTERM");
    await exited;
    expect(stdout).toMatch(/tributary stopped/);
    expect(fs.existsSync(dataDir)).toBe(false);
  }, 600_000);
});
