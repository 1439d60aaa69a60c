// A progress bar on stderr when it is a terminal (cli-progress); nothing
// otherwise, so logs and pipes get only the commands' own lines.

export interface Progress {
  start(total: number): void;
  tick(): void;
  stop(): void;
}

export async function progressBar(label: string): Promise<Progress> {
  if (!process.stderr.isTTY) return { start: () => undefined, tick: () => undefined, stop: () => undefined };
  const { SingleBar, Presets } = await import("cli-progress"); // loaded on a terminal only
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} {percentage}% | {eta_formatted} left`, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
  return {
    start: (total) => bar.start(total, 0),
    tick: () => bar.increment(),
    stop: () => bar.stop(),
  };
}
