// Consumer instances of the REST Proxy v2 API. Each instance is a real member
// of its consumer group (it speaks the standard "consumer" embedded protocol
// and can lead a rebalance) in the coordinator Kafka consumers use: this
// broker's, or in cluster mode the cluster's. It commits as a member of its
// generation, heartbeats in the background and expires after a quiet spell.

import { ensureTopics, type AutoCreate } from "./auto-create.js";
import { InvalidTopicError } from "../../log/errors.js";
import { randomUUID } from "node:crypto";
import { TopicPartition, waitForCommitted, type LogStore } from "../../log/store.js";
import { KafkaErrorCode as E } from "../../protocol/kafka-error-codes.js";
import type { GroupMembership } from "../groups/group-membership.js";
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, rangeAssign, type Assignment } from "../groups/consumer-protocol.js";
import { HttpError } from "./http-error.js";
import { readRecordsFrom, recordToJson, type AvroDecoder, type RecordFormat, type RecordJson } from "./record-json.js";
import { opsLog } from "../../ops/ops-log.js";
import type { Actor } from "../../ops/ops-log.js";

export interface ConsumerSettings {
  format: RecordFormat;
  autoOffsetReset: "earliest" | "latest";
  autoCommit: boolean;
}

const SESSION_TIMEOUT_MS = 30_000;
const HEARTBEAT_MS = 3_000;
const key = TopicPartition.key;

export class HttpConsumer {
  memberId = "";
  generation = -1;
  topics: string[] = [];
  assignment: Assignment = new Map();
  manual = false;
  lastUsed = Date.now();
  private positions = new Map<string, number>();
  private joining: Promise<void> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(readonly group: string, readonly name: string, readonly settings: ConsumerSettings,
    private readonly logs: LogStore, private readonly groups: GroupMembership, private readonly autoCreate: AutoCreate = undefined,
    private readonly avro?: AvroDecoder) {}

  async subscribe(topics: string[], actor: Actor): Promise<void> {
    this.refuseInternal(topics);
    await ensureTopics(this.logs, this.autoCreate, topics, actor);
    this.topics = topics;
    this.manual = false;
    await this.rejoin();
  }

  /** The internal topics hold the broker's own state: REST consumers do not read them. */
  private refuseInternal(topics: string[]): void {
    const internal = topics.find((t) => this.logs.isInternalTopic(t));
    if (internal !== undefined) throw new InvalidTopicError(`'${internal}' is an internal topic`);
  }

  async assign(partitions: { topic: string; partition: number }[]): Promise<void> {
    this.refuseInternal(partitions.map((p) => p.topic));
    this.manual = true;
    this.topics = [];
    this.assignment = new Map();
    for (const p of partitions) {
      this.logs.partition(p.topic, p.partition); // unknown partition: 404
      this.assignment.set(p.topic, [...(this.assignment.get(p.topic) ?? []), p.partition]);
    }
    await this.initPositions();
  }

  private rejoin(): Promise<void> {
    this.joining ??= this.join().finally(() => (this.joining = undefined));
    return this.joining;
  }

  private async join(): Promise<void> {
    for (let attempt = 0; attempt < 10 && !this.closed; attempt++) {
      const joined = await this.groups.join({
        groupId: this.group, memberId: this.memberId, groupInstanceId: null, clientId: `rest-${this.name}`, clientHost: "http",
        sessionTimeoutMs: Math.max(SESSION_TIMEOUT_MS, this.groups.sessionTimeoutMinMs), rebalanceTimeoutMs: 60_000,
        protocolType: "consumer", protocols: [{ name: "range", metadata: encodeSubscription({ topics: this.topics }) }], canRetryWithMemberId: true,
      });
      if (joined.errorCode === E.MEMBER_ID_REQUIRED) {
        this.memberId = joined.memberId;
        continue;
      }
      if (joined.errorCode === E.UNKNOWN_MEMBER_ID) {
        this.memberId = "";
        continue;
      }
      if (joined.errorCode !== 0) throw new HttpError(409, 40904, `joining group ${this.group} failed with Kafka error ${joined.errorCode}`);
      this.memberId = joined.memberId;
      this.generation = joined.generationId;
      let assignments: { memberId: string; assignment: Buffer }[] = [];
      if (joined.leader === joined.memberId) {
        const plan = rangeAssign(joined.members.map((m) => ({ memberId: m.memberId, topics: decodeSubscription(m.metadata).topics.filter((t) => this.logs.hasTopic(t)) })),
          (topic) => this.logs.partitionCount(topic));
        assignments = [...plan.entries()].map(([memberId, a]) => ({ memberId, assignment: encodeAssignment(a) }));
      }
      const synced = await this.groups.sync(this.group, this.memberId, this.generation, assignments);
      if (synced.errorCode === E.REBALANCE_IN_PROGRESS || synced.errorCode === E.ILLEGAL_GENERATION) continue;
      if (synced.errorCode !== 0) throw new HttpError(409, 40904, `syncing group ${this.group} failed with Kafka error ${synced.errorCode}`);
      this.assignment = decodeAssignment(synced.assignment);
      await this.initPositions();
      this.startHeartbeat();
      return;
    }
  }

  private startHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => void this.groups.heartbeat(this.group, this.memberId, this.generation).then((code) => {
      if (code === E.UNKNOWN_MEMBER_ID) this.memberId = "";
      if (code !== 0) void this.rejoin().catch(() => undefined);
    }, () => undefined), HEARTBEAT_MS);
    this.heartbeat.unref?.();
  }

  private async initPositions(): Promise<void> {
    const keep = new Map<string, number>();
    for (const [topic, partitions] of this.assignment) {
      for (const partition of partitions) {
        const k = key(topic, partition);
        const kept = this.positions.get(k) ?? (await this.logs.offsets.get(this.group, topic, partition))?.offset;
        if (kept !== undefined) {
          keep.set(k, kept);
          continue;
        }
        const offsets = await this.logs.partition(topic, partition).offsets();
        keep.set(k, this.settings.autoOffsetReset === "earliest" ? offsets.logStartOffset : offsets.highWatermark);
      }
    }
    this.positions = keep;
  }

  async seek(topic: string, partition: number, offset: number | "beginning" | "end"): Promise<void> {
    const k = key(topic, partition);
    if (!this.positions.has(k)) throw new HttpError(409, 40903, `partition ${topic}-${partition} is not assigned to this consumer`);
    const offsets = await this.logs.partition(topic, partition).offsets();
    this.positions.set(k, offset === "beginning" ? offsets.logStartOffset : offset === "end" ? offsets.highWatermark : offset);
  }

  /** Records from the assigned partitions, waiting up to `timeoutMs` for the first; `bytes` is what they took in the log. */
  async poll(timeoutMs: number, maxBytes: number): Promise<{ records: RecordJson[]; bytes: number }> {
    this.lastUsed = Date.now();
    if (this.joining) await this.joining;
    if (this.settings.autoCommit) await this.commit();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const out: RecordJson[] = [];
      let budget = maxBytes;
      let served = 0;
      for (const [k, position] of this.positions) {
        if (budget <= 0) break;
        const { topic, partition } = TopicPartition.fromKey(k);
        const log = this.logs.partition(topic, partition);
        const offsets = await log.offsets();
        if (position >= offsets.lastStableOffset) continue;
        const { records, bytes, nextOffset } = await readRecordsFrom(log, Math.max(position, offsets.logStartOffset), budget);
        budget -= bytes;
        served += bytes;
        for (const r of records) out.push(recordToJson(topic, partition, r, this.settings.format, this.avro));
        this.positions.set(k, nextOffset);
      }
      const remaining = deadline - Date.now();
      if (out.length > 0 || remaining <= 0 || this.positions.size === 0) return { records: out, bytes: served };
      await waitForCommitted(this.logs, [...this.positions.entries()].map(([k, offset]) => ({ ...TopicPartition.fromKey(k), offset })), remaining);
    }
  }

  /** Commits the given offsets, or every position fetched so far. */
  async commit(offsets?: { topic: string; partition: number; offset: number }[]): Promise<void> {
    const commits = offsets ?? [...this.positions.entries()].map(([k, offset]) => {
      const { topic, partition } = TopicPartition.fromKey(k);
      return { topic, partition, offset };
    });
    const code = this.manual ? await this.groups.commit(this.group, "", -1, commits) : await this.groups.commit(this.group, this.memberId, this.generation, commits);
    if (code !== 0) throw new HttpError(409, 40905, `commit refused by group ${this.group}: Kafka error ${code} (the group is rebalancing; fetch again)`);
  }

  async committed(partitions: { topic: string; partition: number }[]): Promise<{ topic: string; partition: number; offset: number; metadata: string }[]> {
    return Promise.all(partitions.map(async (p) => {
      const committed = await this.logs.offsets.get(this.group, p.topic, p.partition);
      return { ...p, offset: committed?.offset ?? -1, metadata: committed?.metadata ?? "" };
    }));
  }

  assignedPartitions(): { topic: string; partition: number }[] {
    return [...this.assignment.entries()].flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })));
  }

  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    if (this.memberId) void this.groups.leave(this.group, this.memberId).catch(() => undefined);
  }
}

export class HttpConsumers {
  private readonly instances = new Map<string, HttpConsumer>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly logs: LogStore, private readonly groups: GroupMembership, private readonly idleTimeoutMs = 300_000,
    private readonly autoCreate: AutoCreate = undefined, private readonly avro?: AvroDecoder) {
    this.sweeper = setInterval(() => this.expire(), Math.min(10_000, idleTimeoutMs));
    this.sweeper.unref?.();
  }

  create(group: string, name: string | undefined, settings: ConsumerSettings): HttpConsumer {
    const instance = name ?? `rest-consumer-${randomUUID()}`;
    const k = `${group}\u0000${instance}`;
    if (this.instances.has(k)) throw new HttpError(409, 40902, `consumer instance '${instance}' already exists in group '${group}'`);
    const consumer = new HttpConsumer(group, instance, settings, this.logs, this.groups, this.autoCreate, this.avro);
    this.instances.set(k, consumer);
    return consumer;
  }

  get(group: string, name: string): HttpConsumer {
    const consumer = this.instances.get(`${group}\u0000${name}`);
    if (!consumer) throw new HttpError(404, 40403, `consumer instance '${name}' not found in group '${group}'`);
    consumer.lastUsed = Date.now();
    return consumer;
  }

  delete(group: string, name: string): void {
    this.get(group, name).close();
    this.instances.delete(`${group}\u0000${name}`);
  }

  /** Instances unused for the idle timeout leave their group. */
  expire(now = Date.now()): void {
    for (const [k, c] of this.instances) {
      if (now - c.lastUsed > this.idleTimeoutMs) {
        opsLog("http").info({ group: c.group, instance: c.name }, `consumer instance ${c.name} of group ${c.group} expired after ${this.idleTimeoutMs} ms idle`);
        c.close();
        this.instances.delete(k);
      }
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const c of this.instances.values()) c.close();
    this.instances.clear();
  }
}
