// npm run bench:startup: how soon the compiled binary is ready as a CI
// stand-in (`serve --ephemeral`: spawn to its "tributary ready" line, on an
// empty data dir) against the same binary's `--version` (spawn to exit: the
// runtime starting and loading the program), in the same run. Ends with one
// JSON line. Build first (npm run build); BENCH_BINARY names another binary.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const binary = process.env.BENCH_BINARY ?? path.join(import.meta.dirname, "../dist/tributary");
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 20);
if (!fs.existsSync(binary)) {
  console.error(`bench:startup: no binary at ${binary}: run npm run build first`);
  process.exit(1);
}

/** Milliseconds from spawn until `done` says so (or the process exits). */
function timed(args: string[], done: (stdout: string) => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "ignore"] });
    let stdout = "";
    let took: number | undefined;
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (took === undefined && done(stdout)) {
        took = performance.now() - started;
        child.kill("SIGTERM"); // a clean stop: an ephemeral broker removes its data dir
      }
    });
    child.on("exit", (code) => {
      if (took !== undefined) resolve(took);
      else if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`${args.join(" ")} exited with ${code}`));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const version: number[] = [];
const ready: number[] = [];
for (let i = 0; i < RUNS; i++) {
  version.push(await timed(["--version"], () => false));
  ready.push(await timed(["serve", "--ephemeral", "--kafka-port", "0", "--http-port", "0"], (out) => out.includes("tributary ready")));
}
const results = {
  "reference: --version, median": median(version),
  "serve --ephemeral to its ready line, median (target <= 60)": median(ready),
  "serve --ephemeral to its ready line, max": Math.max(...ready),
};
console.log(`startup benchmark: ${os.cpus().length} cpus, ${binary} (${(fs.statSync(binary).size / 2 ** 20).toFixed(0)} MiB), ${RUNS} runs each`);
for (const [name, value] of Object.entries(results)) console.log(`${name.padEnd(60)} ${value.toFixed(1).padStart(8)} ms`);
console.log(`${"  ratio ready / --version".padEnd(60)} ${(results["serve --ephemeral to its ready line, median (target <= 60)"] / results["reference: --version, median"]).toFixed(2).padStart(8)}`);
console.log(JSON.stringify({ bench: "startup", runs: RUNS, ...Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Number(v.toFixed(1))])) }));
