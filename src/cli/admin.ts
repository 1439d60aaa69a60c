// What the topic and group commands ask of a broker, two ways: on a stopped
// broker's data dir (the store interface), or over the Kafka protocol to a
// running broker, Tributary or any other (kafkajs' admin client). The
// commands do not know which.

import * as fs from "node:fs";
import * as path from "node:path";
import type { LogStore, TopicInfo } from "../log/store.js";
import { DataDirLockedError } from "../log/errors.js";
import type { BrokerConfig } from "../config/config.js";
import { groupLag, type PartitionLag } from "../server/group-lag.js";
import { nextOffset, resetOffsets, type OffsetChange, type ResetTarget } from "../server/offset-reset.js";

export type { ResetTarget } from "../server/offset-reset.js";
import { withLogs } from "./open-logs.js";
import { CliError } from "./output.js";
import { kafkaClient, kafkaErrorLine, listenerOf } from "./kafka-client.js";

export type ConfigRow = {
  name: string;
  value: string;
  source: string;
};

/** A partition as `topic describe --json` and GET /topics/{topic} show it (snake_case, as all of Tributary's own JSON). */
export interface PartitionRow {
  partition: number;
  log_start_offset: number;
  high_watermark: number;
  /** Unknown over the Kafka protocol. */
  size_bytes: number | null;
  segments: number | null;
}

export interface TopicRow {
  name: string;
  /** Empty when the broker does not say (over the Kafka protocol). */
  id: string;
  partitions: number;
  internal: boolean;
}

export interface GroupRow {
  group: string;
  state: string;
  members: number;
}

export interface Admin {
  /** "data dir DIR" or "broker HOST:PORT": where the answers come from. */
  readonly where: string;
  createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<TopicRow>;
  listTopics(includeInternal: boolean): Promise<TopicRow[]>;
  describeTopic(name: string): Promise<{ topic: TopicRow; partitions: PartitionRow[] }>;
  configs(name: string): Promise<ConfigRow[]>;
  alterConfigs(name: string, set: Record<string, string>, remove: string[]): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  addPartitions(name: string, total: number): Promise<void>;
  /** Moves the partition's log start to `before`; the new log start. */
  deleteRecords(name: string, partition: number, before: number): Promise<number>;
  listGroups(): Promise<GroupRow[]>;
  groupLag(group: string): Promise<PartitionLag[]>;
  groupMembers(group: string): Promise<number>;
  deleteGroup(group: string): Promise<void>;
  /** The changes `target` makes to the group's offsets of `topic`; written only when `execute`. */
  resetOffsets(group: string, topic: string, target: ResetTarget, execute: boolean): Promise<OffsetChange[]>;
}



class LocalAdmin implements Admin {
  constructor(private readonly logs: LogStore, readonly where: string) {}

  private row(t: TopicInfo): TopicRow {
    return { name: t.name, id: t.id, partitions: t.partitions, internal: t.internal };
  }

  async createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<TopicRow> {
    return this.row(await this.logs.createTopic(name, { partitions, configs }));
  }

  async listTopics(includeInternal: boolean): Promise<TopicRow[]> {
    return this.logs.listTopics({ includeInternal }).map((t) => this.row(t));
  }

  async describeTopic(name: string): Promise<{ topic: TopicRow; partitions: PartitionRow[] }> {
    const d = await this.logs.describeTopic(name);
    return {
      topic: this.row(d),
      partitions: d.partitionStates.map((p) => ({ partition: p.partition, log_start_offset: p.logStartOffset, high_watermark: p.highWatermark, size_bytes: p.sizeBytes, segments: p.segments })),
    };
  }

  async configs(name: string): Promise<ConfigRow[]> {
    return this.logs.effectiveConfig(name).map(({ name, value, source }) => ({ name, value, source }));
  }

  async alterConfigs(name: string, set: Record<string, string>, remove: string[]): Promise<void> {
    await this.logs.alterTopicConfig(name, { set, remove });
  }

  deleteTopic(name: string): Promise<void> {
    return this.logs.deleteTopic(name);
  }

  async addPartitions(name: string, total: number): Promise<void> {
    await this.logs.createPartitions(name, total);
  }

  deleteRecords(name: string, partition: number, before: number): Promise<number> {
    return this.logs.deleteRecords(name, partition, before);
  }

  async listGroups(): Promise<GroupRow[]> {
    // A stopped broker has no members: every group is as its committed offsets left it.
    return (await this.logs.offsets.groups()).map((group) => ({ group, state: "Empty", members: 0 }));
  }

  groupLag(group: string): Promise<PartitionLag[]> {
    return groupLag(this.logs, group);
  }

  async groupMembers(): Promise<number> {
    return 0;
  }

  async deleteGroup(group: string): Promise<void> {
    if ((await this.logs.offsets.list(group)).length === 0) throw new CliError(`group '${group}' has no committed offsets`);
    await this.logs.offsets.delete(group);
  }

  resetOffsets(group: string, topic: string, target: ResetTarget, execute: boolean): Promise<OffsetChange[]> {
    return resetOffsets(this.logs, group, topic, target, execute);
  }

}

/** kafkajs' admin client, loaded only for commands that talk to a broker. */
async function kafkaAdmin(broker: string): Promise<Admin> {
  const { kafka, kafkajs } = await kafkaClient(broker, "tributary-cli");
  const { ConfigResourceTypes } = kafkajs;
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    throw new CliError(`cannot reach the broker at ${broker}: ${(err as Error).message}`);
  }
  const sources: Record<number, string> = { 1: "topic", 4: "broker", 5: "default" };
  const offsetsOf = async (topic: string) => (await admin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }));
  const topicRow = async (name: string): Promise<TopicRow> => {
    const meta = await admin.fetchTopicMetadata({ topics: [name] });
    return { name, id: "", partitions: meta.topics[0]!.partitions.length, internal: name.startsWith("_") };
  };
  const result: Admin & { close(): Promise<void> } = {
    where: `broker ${broker}`,
    close: () => admin.disconnect(),
    async createTopic(name, partitions, configs) {
      await admin.createTopics({ waitForLeaders: false, topics: [{ topic: name, numPartitions: partitions, configEntries: Object.entries(configs).map(([n, v]) => ({ name: n, value: v })) }] });
      return topicRow(name);
    },
    async listTopics(includeInternal) {
      const names = (await admin.listTopics()).filter((n) => includeInternal || !n.startsWith("_")).sort();
      if (names.length === 0) return [];
      const meta = await admin.fetchTopicMetadata({ topics: names });
      return meta.topics.map((t) => ({ name: t.name, id: "", partitions: t.partitions.length, internal: t.name.startsWith("_") }));
    },
    async describeTopic(name) {
      const topic = await topicRow(name);
      const partitions = (await offsetsOf(name)).sort((a, b) => a.partition - b.partition)
        .map((o) => ({ partition: o.partition, log_start_offset: o.low, high_watermark: o.high, size_bytes: null, segments: null }));
      return { topic, partitions };
    },
    async configs(name) {
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name }] });
      const entries = described.resources[0]!.configEntries as { configName: string; configValue: string; configSource?: number; isDefault: boolean }[];
      return entries.map((e) => ({ name: e.configName, value: e.configValue, source: sources[e.configSource ?? (e.isDefault ? 5 : 1)] ?? "broker" })).sort((a, b) => a.name.localeCompare(b.name));
    },
    async alterConfigs(name, set, remove) {
      // AlterConfigs (all kafkajs offers) replaces a topic's overrides whole: keep the others.
      const overrides = Object.fromEntries((await result.configs(name)).filter((c) => c.source === "topic").map((c) => [c.name, c.value]));
      for (const key of remove) delete overrides[key];
      Object.assign(overrides, set);
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name, configEntries: Object.entries(overrides).map(([n, v]) => ({ name: n, value: v })) }] });
    },
    async deleteTopic(name) {
      await admin.deleteTopics({ topics: [name] });
    },
    async addPartitions(name, total) {
      await admin.createPartitions({ topicPartitions: [{ topic: name, count: total }] });
    },
    async deleteRecords(name, partition, before) {
      await offsetsOf(name); // kafkajs needs the topic's metadata loaded first
      await admin.deleteTopicRecords({ topic: name, partitions: [{ partition, offset: String(before) }] });
      return (await offsetsOf(name)).find((o) => o.partition === partition)!.low;
    },
    async listGroups() {
      const { groups } = await admin.listGroups();
      if (groups.length === 0) return [];
      const described = await admin.describeGroups(groups.map((g) => g.groupId));
      return described.groups.map((g) => ({ group: g.groupId, state: g.state, members: g.members.length })).sort((a, b) => a.group.localeCompare(b.group));
    },
    async groupLag(group) {
      const out: PartitionLag[] = [];
      for (const t of await admin.fetchOffsets({ groupId: group })) {
        const highs = new Map((await offsetsOf(t.topic).catch(() => [])).map((o) => [o.partition, o.high]));
        for (const p of t.partitions) {
          const committed = Number(p.offset);
          if (committed < 0) continue;
          const high = highs.get(p.partition) ?? -1;
          out.push({ topic: t.topic, partition: p.partition, committed, high_watermark: high, lag: high < 0 ? -1 : Math.max(0, high - committed), metadata: p.metadata ?? null });
        }
      }
      return out;
    },
    async groupMembers(group) {
      return (await admin.describeGroups([group])).groups[0]?.members.length ?? 0;
    },
    async deleteGroup(group) {
      await admin.deleteGroups([group]);
    },
    async resetOffsets(group, topic, target, execute) {
      const offsets = await offsetsOf(topic);
      const committed = new Map(((await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      const byTime = target.to === "datetime" ? new Map((await admin.fetchTopicOffsetsByTimestamp(topic, target.timestamp)).map((o) => [o.partition, Number(o.offset)])) : undefined;
      const changes = offsets.sort((a, b) => a.partition - b.partition).map(({ partition, low, high }) => {
        const current = committed.get(partition) ?? -1;
        return { topic, partition, current, next: nextOffset(target, current, low, high, byTime?.get(partition)) };
      });
      if (execute) await admin.setOffsets({ groupId: group, topic, partitions: changes.map((c) => ({ partition: c.partition, offset: String(c.next) })) });
      return changes;
    },
  };
  return result;
}

export interface AdminOptions {
  /** HOST:PORT of a broker to talk to over the Kafka protocol. */
  broker?: string;
  /** Commands that only read must not create a data dir. */
  mayCreate: boolean;
}

/**
 * Runs `work` against the broker the options name: `--broker` (or
 * TRIBUTARY_BROKER) over the Kafka protocol; else the data dir, offline, or,
 * when a running broker holds it, that broker's listener.
 */
export async function withAdmin<T>(config: Partial<BrokerConfig>, options: AdminOptions, work: (admin: Admin) => Promise<T>): Promise<T> {
  const broker = options.broker ?? process.env.TRIBUTARY_BROKER;
  const remote = async (address: string) => {
    const admin = (await kafkaAdmin(address)) as Admin & { close(): Promise<void> };
    try {
      return await work(admin);
    } catch (err) {
      throw remoteError(err);
    } finally {
      await admin.close();
    }
  };
  if (broker) return remote(broker);
  const dataDir = config.dataDir ?? "./data";
  if (!options.mayCreate && !fs.existsSync(dataDir)) throw new CliError(`no data dir at ${path.resolve(dataDir)} (give --data-dir DIR, or --broker HOST:PORT for a running broker)`);
  try {
    return await withLogs(config, (logs) => work(new LocalAdmin(logs, `data dir ${dataDir}`)));
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    const listener = listenerOf(dataDir);
    if (!listener) throw err; // held by something other than a serving broker (another command)
    return remote(listener);
  }
}

/** A Kafka client's error as a one-line CLI message. */
function remoteError(err: unknown): unknown {
  if (err instanceof CliError) return err;
  const line = kafkaErrorLine(err);
  return line ? new CliError(line) : err;
}
