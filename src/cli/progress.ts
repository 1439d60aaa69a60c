// A progress bar on stderr when it is a terminal (cli-progress); nothing
// otherwise, so logs and pipes get only the commands' own lines.
import { SingleBar, Presets } from "cli-progress";

export interface Progress {
  start(total: number): void;
  tick(): void;
  stop(): void;
}

export function progressBar(label: string): Progress {
  if (!process.stderr.isTTY) return { start: () => undefined, tick: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} {percentage}% | {eta_formatted} left`, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
  return {
    start: (total) => bar.start(total, 0),
    tick: () => bar.increment(),
    stop: () => bar.stop(),
  };
}
