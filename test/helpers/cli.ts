import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { TRIBUTARY_BINARY } from "./binaries.js";

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled binary to completion. */
export function tributary(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(TRIBUTARY_BINARY, args, { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the compiled binary to completion without blocking this process's event loop (servers in this process keep serving it). */
export function tributaryAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(TRIBUTARY_BINARY, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export interface RunningServer {
  process: ChildProcess;
  readyLine: string;
  output(): { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

/** Starts `tributary serve` (behind `wrapper`, e.g. prlimit, when given) and resolves once it prints its ready line. */
export function serve(args: string[], env: NodeJS.ProcessEnv = {}, wrapper: string[] = []): Promise<RunningServer> {
  const command = [...wrapper, TRIBUTARY_BINARY, "serve", ...args];
  const child = spawn(command[0]!, command.slice(1), { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split("\n").find((l) => l.startsWith("tributary ready"));
      if (line) resolve({ process: child, readyLine: line, output: () => ({ stdout, stderr }), exited });
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code} before it was ready: ${stderr}`)));
  });
}
