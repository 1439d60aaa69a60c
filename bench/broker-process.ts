// A Tributary broker in a process of its own for the benches (`bun src/main.ts
// serve` with the arguments given), resolved once it prints its Kafka address.

import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";

export async function startBrokerProcess(args: string[]): Promise<{ child: ChildProcess; host: string; port: number }> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, "../src/main.ts"), "serve", "--kafka-port", "0", "--http-port", "0", "--host", "127.0.0.1", ...args],
    { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const address = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /kafka (\S+),/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`broker exited ${code}: ${stderr}`)));
  });
  const [host, port] = address.split(":");
  return { child, host: host!, port: Number(port) };
}
