import type { Command } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { LISTENERS_FILE } from "./kafka-client.js";
import { opsLog } from "../ops/ops-log.js";
import { startBroker } from "../server/broker.js";
import { brokerOptions, addServeOptions } from "./broker-options.js";

export function registerServe(program: Command): void {
  addServeOptions(program.command("serve"))
    .description("run the broker until SIGTERM or SIGINT")
    .action(async (options: Record<string, unknown>) => {
      const ephemeral = Boolean(options.ephemeral);
      const settings = brokerOptions({ ...options, dataDir: ephemeral ? "ephemeral" : options.dataDir });
      const broker = await startBroker({ ...settings, ephemeral });
      const { logs } = broker;
      // Handlers go in before the ready line: a signal sent right after it must stop us cleanly.
      const stopped = new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          opsLog("broker").info(`${signal}: stopping`);
          void broker.stop().then(resolve, (err: Error) => {
            opsLog("broker").error(`clean stop failed: ${err.message}`);
            process.exitCode = 1;
            resolve();
          });
        };
        process.once("SIGTERM", () => shutdown("SIGTERM"));
        process.once("SIGINT", () => shutdown("SIGINT"));
      });
      // Where this broker listens, for the admin commands run on its data dir (removed at a clean stop).
      const listeners = path.join(broker.config.dataDir, LISTENERS_FILE);
      fs.writeFileSync(listeners, JSON.stringify({ pid: process.pid, kafka: broker.brokers[0], http: broker.httpUrl }) + "\n");
      void stopped.then(() => fs.rmSync(listeners, { force: true }));
      const advertised = broker.brokers[0] === broker.kafkaAddress ? "" : ` (advertised as ${broker.brokers[0]})`;
      // In cluster mode the records are the cluster's and Kafka clients talk to it: there is no listener here.
      const kafka = broker.kafkaAddress ? `kafka ${broker.kafkaAddress}${advertised}` : `cluster ${broker.brokers.join(",")} (no Kafka listener here)`;
      process.stdout.write(`tributary ready: ${kafka}, http ${broker.httpUrl.slice(0, broker.httpUrl.indexOf("://"))}://${broker.httpAddress}, data dir ${broker.config.dataDir}${ephemeral ? " (ephemeral)" : ""}, ` +
        `${broker.config.archive ? `archive ${broker.config.archive}, ` : ""}` +
        `${logs.listTopics().length} topics, cluster ${logs.clusterId}\n`);
      await stopped;
      process.stdout.write("tributary stopped\n");
    });
}
