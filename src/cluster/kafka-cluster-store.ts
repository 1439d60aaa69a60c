// The store interface (log/store.ts) over a real Kafka cluster: topics,
// partitions, records, group offsets and the registry's records live in the
// cluster, reached over the Kafka protocol with Tributary's own codec. Appends
// are Produce requests with acks=all carrying the batch as it is; reads are
// Fetch answers cut to whole batches, so what the servers above serve is
// what the cluster stores, byte for byte. What the interface asks
// synchronously (does a topic exist, its partitions, its configs) comes from
// a metadata cache refreshed after every change made here and every
// `metadataRefreshMs`.
//
// Waiting readers poll the partition's high watermark (one poller per
// partition, every `waitPollMs`) rather than hold a long-poll Fetch open: a
// broker answers a connection's requests in order, and a parked Fetch would
// hold up every other request on it.

import { randomUUID } from "node:crypto";
import type { GroupOffsetStore, LogStore, OffsetCommit, PartitionStore, TopicDescription, TopicInfo } from "../log/store.js";
import { validateTopicName } from "../log/store.js";
import { InvalidPartitionsError, InvalidTopicError, OffsetOutOfRangeError, TopicExistsError, UnknownTopicError } from "../log/errors.js";
import { effectiveTopicConfig, isTopicSetting, resolveTopicConfig, type EffectiveSetting, type TopicConfig } from "../log/topic-config.js";
import { KafkaErrorCode as E } from "../protocol/kafka-error-codes.js";
import type { Message } from "../protocol/message-codec.js";
import { ClusterUnavailableError, KafkaConnection, type SaslCredentials } from "./kafka-connection.js";
import { CLUSTER_API, check, type ClusterApi, type ClusterRequests } from "./cluster-protocol.js";
import { ClusterPartition } from "./cluster-partition.js";
import { ClusterOffsets } from "./cluster-offsets.js";
import { ClusterKeyValueStore } from "./cluster-registry-topic.js";

export type { ClusterApi } from "./cluster-protocol.js";

type ApiName = ClusterApi;
const TOPIC_RESOURCE = 2;
const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
const CONFIG_SOURCE_TOPIC = 1;

export interface KafkaClusterOptions {
  /** host:port of one or more brokers. */
  bootstrap: string[];
  clientId?: string;
  /** The topic holding the registry's records (Confluent's kafkastore.topic). */
  registryTopic?: string;
  /** The topic holding users, ACLs and tokens (default _tributary_security). */
  securityTopic?: string;
  requestTimeoutMs?: number;
  /** Connect over TLS; `ca` (PEM) is trusted besides the system's CAs when given. */
  tls?: { ca?: string };
  /** SASL credentials for brokers that require them. */
  sasl?: SaslCredentials;
  /** How often topics, partitions, leaders and configs are read again (what other clients changed shows up within it). */
  metadataRefreshMs?: number;
  waitPollMs?: number;
}

interface TopicMeta {
  name: string;
  id: string;
  internal: boolean;
  /** Leader node per partition. */
  leaders: number[];
  overrides: Record<string, string>;
  defaults: Record<string, string>;
}

/** A group coordinator's and a leader's address, by node id. */
interface Broker {
  nodeId: number;
  address: string;
}

export class KafkaClusterStore implements LogStore, ClusterRequests {
  clusterId = "";
  readonly offsets: GroupOffsetStore;
  readonly schemaStore: ClusterKeyValueStore;
  /** Users, ACLs and tokens of the HTTP tier, shared by every instance on the cluster. */
  readonly securityStore: ClusterKeyValueStore;
  private readonly registryTopic: string;
  private readonly clientId: string;
  private readonly requestTimeoutMs: number;
  private readonly waitPollMs: number;
  private brokers = new Map<number, Broker>();
  private topics = new Map<string, TopicMeta>();
  private readonly connections = new Map<string, Promise<KafkaConnection>>();
  private readonly partitions = new Map<string, ClusterPartition>();
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private refreshesStarted = 0;
  /** When each unknown topic name was last looked up. */
  private readonly lookedUp = new Map<string, number>();
  private refreshApplied = 0;
  private closed = false;

  private constructor(private readonly options: KafkaClusterOptions) {
    this.registryTopic = options.registryTopic ?? "_schemas";
    this.clientId = options.clientId ?? "tributary";
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.waitPollMs = options.waitPollMs ?? 50;
    this.offsets = new ClusterOffsets(this);
    this.schemaStore = new ClusterKeyValueStore(this, this.registryTopic);
    this.securityStore = new ClusterKeyValueStore(this, options.securityTopic ?? "_tributary_security");
  }

  /** Connects, learns the cluster's topics, and loads the registry's topic (created compacted if missing). */
  static async open(options: KafkaClusterOptions): Promise<KafkaClusterStore> {
    const store = new KafkaClusterStore(options);
    await store.refresh();
    if (!store.topics.has(store.registryTopic)) {
      await store.createTopicRaw(store.registryTopic, 1, { "cleanup.policy": "compact" }).catch((err: unknown) => {
        if (!(err instanceof TopicExistsError)) throw err;
      });
      await store.refresh();
    }
    await store.schemaStore.load();
    if (!store.topics.has(store.securityStore.topic)) {
      await store.createTopicRaw(store.securityStore.topic, 1, { "cleanup.policy": "compact" }).catch((err: unknown) => {
        if (!(err instanceof TopicExistsError)) throw err;
      });
      await store.refresh();
    }
    await store.securityStore.load();
    const every = options.metadataRefreshMs ?? 1000;
    store.refreshTimer = setInterval(() => void store.refresh().catch(() => undefined), every);
    store.refreshTimer.unref();
    return store;
  }

  // Requests

  /** The connection to `address` of `lane` (a request that parks, as a JoinGroup does, gets a lane of its own). */
  private connection(address: string, lane: string): Promise<KafkaConnection> {
    const key = `${lane}|${address}`;
    let c = this.connections.get(key);
    if (!c) {
      c = KafkaConnection.connect(address, this.clientId, this.requestTimeoutMs, this.options.tls, this.options.sasl);
      this.connections.set(key, c);
      c.catch(() => this.connections.delete(key));
    }
    return c.then((conn) => {
      if (!conn.closed) return conn;
      this.connections.delete(key);
      return this.connection(address, lane);
    });
  }

  /** Closes `lane`'s connections (a member that left its group). */
  closeLane(lane: string): void {
    for (const [key, c] of this.connections) {
      if (!key.startsWith(`${lane}|`)) continue;
      this.connections.delete(key);
      void c.then((conn) => conn.close(), () => undefined);
    }
  }

  /** One request to `node` (a broker id), or to any broker; on `lane`'s connections (default: the shared ones). */
  async request(api: ApiName, body: Message, node?: number, extraTimeoutMs = 0, lane = "shared"): Promise<Message> {
    if (this.closed) throw new ClusterUnavailableError("the cluster store is closed");
    const addresses = node !== undefined && this.brokers.has(node) ? [this.brokers.get(node)!.address]
      : [...new Set([...[...this.brokers.values()].map((b) => b.address), ...this.options.bootstrap])];
    let last: Error | undefined;
    for (const address of addresses) {
      try {
        const conn = await this.connection(address, lane);
        return await conn.request(CLUSTER_API[api][0], CLUSTER_API[api][1], body, this.requestTimeoutMs + extraTimeoutMs);
      } catch (err) {
        if (!(err instanceof ClusterUnavailableError)) throw err;
        last = err;
      }
    }
    throw last ?? new ClusterUnavailableError("no broker to ask");
  }

  /** Refreshes brokers, topics, leaders and topic configs. */
  async refresh(): Promise<void> {
    // Refreshes overlap (the timer's, a creation's): one that began before the last one applied is stale and drops its answer.
    const started = ++this.refreshesStarted;
    const meta = await this.request("Metadata", { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }) as MetadataAnswer;
    const configs = meta.topics.some((t) => t.errorCode === 0 && t.name !== null)
      ? await this.describeConfigs(meta.topics.filter((t) => t.errorCode === 0 && t.name !== null).map((t) => t.name!))
      : new Map<string, { overrides: Record<string, string>; defaults: Record<string, string> }>();
    if (started < this.refreshApplied) return;
    this.refreshApplied = started;
    this.clusterId = meta.clusterId ?? this.clusterId;
    this.brokers = new Map(meta.brokers.map((b) => [b.nodeId, { nodeId: b.nodeId, address: `${b.host.includes(":") ? `[${b.host}]` : b.host}:${b.port}` }]));
    const topics = new Map<string, TopicMeta>();
    for (const t of meta.topics) {
      if (t.errorCode !== 0 || t.name === null) continue;
      const leaders: number[] = [];
      for (const p of t.partitions) leaders[p.partitionIndex] = p.leaderId;
      const c = configs.get(t.name) ?? { overrides: {}, defaults: {} };
      topics.set(t.name, { name: t.name, id: t.topicId === ZERO_UUID ? this.topics.get(t.name)?.id ?? randomUUID() : t.topicId, internal: t.isInternal, leaders, ...c });
    }
    this.topics = topics;
  }

  private async describeConfigs(names: string[]): Promise<Map<string, { overrides: Record<string, string>; defaults: Record<string, string> }>> {
    const answer = await this.request("DescribeConfigs", {
      resources: names.map((n) => ({ resourceType: TOPIC_RESOURCE, resourceName: n, configurationKeys: null })), includeSynonyms: false, includeDocumentation: false,
    }) as { results: { errorCode: number; resourceName: string; configs: { name: string; value: string | null; configSource: number }[] }[] };
    const out = new Map<string, { overrides: Record<string, string>; defaults: Record<string, string> }>();
    for (const r of answer.results) {
      if (r.errorCode !== 0) continue;
      const overrides: Record<string, string> = {};
      const defaults: Record<string, string> = {};
      for (const c of r.configs) {
        if (c.value === null || !isTopicSetting(c.name)) continue;
        if (c.configSource === CONFIG_SOURCE_TOPIC) overrides[c.name] = c.value;
        else defaults[c.name] = c.value;
      }
      out.set(r.resourceName, { overrides, defaults });
    }
    return out;
  }

  /** Commits `commits` to `group` as `memberId` of `generationId` (-1, "": outside the group's protocol); the first error code, or 0. */
  async offsetsOf(group: string, memberId: string, generationId: number, commits: OffsetCommit[]): Promise<number> {
    const byTopic = new Map<string, OffsetCommit[]>();
    for (const c of commits) byTopic.set(c.topic, [...(byTopic.get(c.topic) ?? []), c]);
    const answer = await this.request("OffsetCommit", {
      groupId: group, generationIdOrMemberEpoch: generationId, memberId, groupInstanceId: null,
      topics: [...byTopic].map(([name, list]) => ({
        name, partitions: list.map((c) => ({ partitionIndex: c.partition, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch ?? -1, committedMetadata: c.metadata ?? null })),
      })),
    }, await this.groupCoordinator(group)) as { topics: { partitions: { errorCode: number }[] }[] };
    for (const t of answer.topics) for (const p of t.partitions) if (p.errorCode !== 0) return p.errorCode;
    return 0;
  }

  /** The node coordinating `group`. */
  async groupCoordinator(group: string): Promise<number> {
    const answer = await this.request("FindCoordinator", { keyType: 0, coordinatorKeys: [group] }) as
      { coordinators: { nodeId: number; errorCode: number; errorMessage: string | null }[] };
    const c = answer.coordinators[0]!;
    check(c.errorCode, `find the coordinator of group ${group}`, c.errorMessage);
    return c.nodeId;
  }

  leaderOf(topic: string, partition: number): number | undefined {
    return this.topics.get(topic)?.leaders[partition];
  }

  // Topics

  private meta(name: string): TopicMeta {
    const t = this.topics.get(name);
    if (!t) throw new UnknownTopicError(name);
    return t;
  }

  private info(t: TopicMeta): TopicInfo {
    return { name: t.name, id: t.id, partitions: t.leaders.length, configs: { ...t.overrides }, internal: this.isInternalTopic(t.name) };
  }

  private async createTopicRaw(name: string, partitions: number, configs: Record<string, string>): Promise<string> {
    const answer = await this.request("CreateTopics", {
      topics: [{ name, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
      timeoutMs: this.requestTimeoutMs, validateOnly: false,
    }) as { topics: { name: string; topicId: string; errorCode: number; errorMessage: string | null }[] };
    const r = answer.topics[0]!;
    check(r.errorCode, `create topic ${name}`, r.errorMessage);
    return r.topicId;
  }

  async createTopic(name: string, options: { partitions?: number; configs?: Record<string, string> } = {}): Promise<TopicInfo> {
    validateTopicName(name);
    const partitions = options.partitions ?? 1;
    if (!Number.isInteger(partitions) || partitions < 1) throw new InvalidPartitionsError(`partition count ${partitions} must be a positive integer`);
    try {
      await this.createTopicRaw(name, partitions, options.configs ?? {});
    } catch (err) {
      // Created meanwhile by someone else (another instance): learn of it before saying so.
      if (err instanceof TopicExistsError) await this.refresh().catch(() => undefined);
      throw err;
    }
    await this.refreshUntil(() => (this.topics.get(name)?.leaders.length ?? 0) >= partitions);
    return this.info(this.meta(name));
  }

  /** Refreshes until `done` (a created topic can take a moment to show in every broker's metadata). */
  private async refreshUntil(done: () => boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await this.refresh();
      if (done() || attempt >= 50) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private refuseInternal(name: string, what: string): void {
    if (this.isInternalTopic(name)) throw new InvalidTopicError(`'${name}' is an internal topic; ${what}`);
  }

  async deleteTopic(name: string): Promise<void> {
    this.refuseInternal(name, "it cannot be deleted");
    const answer = await this.request("DeleteTopics", { topics: [{ name, topicId: ZERO_UUID }], timeoutMs: this.requestTimeoutMs }) as
      { responses: { errorCode: number; errorMessage: string | null }[] };
    const r = answer.responses[0]!;
    if (r.errorCode === E.UNKNOWN_TOPIC_OR_PARTITION) throw new UnknownTopicError(name);
    check(r.errorCode, `delete topic ${name}`, r.errorMessage);
    this.partitions.forEach((p, key) => (p.topic === name ? this.partitions.delete(key) : undefined));
    await this.refreshUntil(() => !this.topics.has(name));
  }

  async createPartitions(name: string, total: number): Promise<TopicInfo> {
    const answer = await this.request("CreatePartitions", { topics: [{ name, count: total, assignments: null }], timeoutMs: this.requestTimeoutMs, validateOnly: false }) as
      { results: { errorCode: number; errorMessage: string | null }[] };
    check(answer.results[0]!.errorCode, `add partitions to ${name}`, answer.results[0]!.errorMessage);
    await this.refreshUntil(() => (this.topics.get(name)?.leaders.length ?? 0) >= total);
    return this.info(this.meta(name));
  }

  async alterTopicConfig(name: string, changes: { set?: Record<string, string>; remove?: string[] }): Promise<TopicInfo> {
    this.refuseInternal(name, "its configs are fixed");
    const configs = [
      ...Object.entries(changes.set ?? {}).map(([k, v]) => ({ name: k, configOperation: 0, value: v })),
      ...(changes.remove ?? []).map((k) => ({ name: k, configOperation: 1, value: null })),
    ];
    const answer = await this.request("IncrementalAlterConfigs", { resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configs }], validateOnly: false }) as
      { responses: { errorCode: number; errorMessage: string | null }[] };
    check(answer.responses[0]!.errorCode, `alter configs of ${name}`, answer.responses[0]!.errorMessage);
    await this.refresh();
    return this.info(this.meta(name));
  }

  async deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    this.refuseInternal(topic, "its records cannot be deleted");
    this.partition(topic, partition);
    const answer = await this.request("DeleteRecords", { topics: [{ name: topic, partitions: [{ partitionIndex: partition, offset }] }], timeoutMs: this.requestTimeoutMs },
      this.leaderOf(topic, partition)) as { topics: { partitions: { lowWatermark: bigint; errorCode: number }[] }[] };
    const r = answer.topics[0]!.partitions[0]!;
    if (r.errorCode === E.OFFSET_OUT_OF_RANGE) {
      const o = await this.partition(topic, partition).offsets();
      throw new OffsetOutOfRangeError(offset, o.logStartOffset, o.highWatermark);
    }
    check(r.errorCode, `delete records of ${topic}-${partition}`);
    return Number(r.lowWatermark);
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  /** Refreshes the metadata for a topic not known yet (at most every 200 ms per name, so unknown names cannot flood the cluster). */
  async lookUpTopic(name: string): Promise<boolean> {
    if (this.topics.has(name)) return true;
    const now = Date.now();
    if ((this.lookedUp.get(name) ?? 0) > now - 200) return false;
    if (this.lookedUp.size > 10_000) this.lookedUp.clear();
    this.lookedUp.set(name, now);
    await this.refresh().catch(() => undefined);
    return this.topics.has(name);
  }

  isInternalTopic(name: string): boolean {
    return name.startsWith("__") || name === "_schemas" || name === this.registryTopic || name === this.securityStore.topic || this.topics.get(name)?.internal === true;
  }

  listTopics(options: { includeInternal?: boolean } = {}): TopicInfo[] {
    return [...this.topics.values()].filter((t) => options.includeInternal || !this.isInternalTopic(t.name)).sort((a, b) => (a.name < b.name ? -1 : 1)).map((t) => this.info(t));
  }

  topicConfig(name: string): TopicConfig {
    const t = this.meta(name);
    return resolveSafely(t.overrides, t.defaults);
  }

  /** Each partition's size on its leader's disk (DescribeLogDirs); -1 where a broker does not say. */
  private async partitionSizes(t: TopicMeta): Promise<number[]> {
    const sizes = t.leaders.map(() => -1);
    const byLeader = new Map<number, number[]>();
    t.leaders.forEach((leader, p) => byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]));
    await Promise.all([...byLeader].map(async ([leader, partitions]) => {
      try {
        const answer = await this.request("DescribeLogDirs", { topics: [{ topic: t.name, partitions }] }, leader, 0, "log-dirs") as
          { results: { errorCode: number; topics: { name: string; partitions: { partitionIndex: number; partitionSize: bigint; isFutureKey: boolean }[] }[] }[] };
        for (const dir of answer.results) {
          if (dir.errorCode !== 0) continue;
          for (const p of dir.topics.find((x) => x.name === t.name)?.partitions ?? []) if (!p.isFutureKey) sizes[p.partitionIndex] = Math.max(0, sizes[p.partitionIndex]!) + Number(p.partitionSize);
        }
      } catch {
        // A broker that does not serve DescribeLogDirs: the sizes stay unknown.
      }
    }));
    return sizes;
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    const t = this.meta(name);
    const sizes = await this.partitionSizes(t);
    const partitionStates = await Promise.all(t.leaders.map(async (_, p) => ({ partition: p, ...(await this.partition(name, p).offsets()), sizeBytes: sizes[p]!, segments: -1 })));
    return { ...this.info(t), config: this.topicConfig(name), partitionStates };
  }

  effectiveConfig(name: string): EffectiveSetting[] {
    const t = this.meta(name);
    return effectiveTopicConfig(t.overrides, t.defaults);
  }

  partitionCount(name: string): number {
    return this.meta(name).leaders.length;
  }

  describeTopicId(name: string): string {
    return this.meta(name).id;
  }

  topicNameById(id: string): string | undefined {
    return [...this.topics.values()].find((t) => t.id === id)?.name;
  }

  partition(topic: string, partition: number): PartitionStore {
    const t = this.meta(topic);
    if (!Number.isInteger(partition) || partition < 0 || partition >= t.leaders.length) throw new UnknownTopicError(topic, partition);
    const key = `${topic}\u0000${partition}`;
    let p = this.partitions.get(key);
    if (!p) {
      p = new ClusterPartition(this, topic, partition, this.waitPollMs);
      this.partitions.set(key, p);
    }
    return p;
  }

  async allocateProducerIds(count: number): Promise<number> {
    // The cluster hands out one producer id per InitProducerId; a block of `count` is `count` of them, the first returned.
    let first: number | undefined;
    for (let i = 0; i < count; i++) {
      const answer = await this.request("InitProducerId", { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }) as
        { errorCode: number; producerId: bigint };
      check(answer.errorCode, "allocate a producer id");
      const id = Number(answer.producerId);
      first = first === undefined ? id : Math.min(first, id);
    }
    return first ?? 0;
  }

  partitionsRefusingWrites(): string[] {
    return [];
  }

  damagedBatches(): number {
    return 0;
  }

  async runMaintenance(): Promise<unknown> {
    return undefined; // retention and compaction are the cluster's
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    for (const p of this.partitions.values()) p.stopWaiting();
    for (const c of this.connections.values()) void c.then((conn) => conn.close(), () => undefined);
    this.connections.clear();
  }
}

function resolveSafely(overrides: Record<string, string>, defaults: Record<string, string>): TopicConfig {
  try {
    return resolveTopicConfig(overrides, defaults);
  } catch {
    // A cluster's default in a form Tributary does not parse: Tributary's default stands in for it.
    return resolveTopicConfig(overrides);
  }
}

interface MetadataAnswer {
  clusterId: string | null;
  brokers: { nodeId: number; host: string; port: number }[];
  topics: { errorCode: number; name: string | null; topicId: string; isInternal: boolean; partitions: { partitionIndex: number; leaderId: number }[] }[];
}
