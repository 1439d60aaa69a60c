// One writer of the schema registry among the Tributary instances in front of
// one cluster, elected through the cluster's group protocol, as Confluent's
// registry elects its leader: every instance joins one group (its member
// metadata is its HTTP URL), the group's leader is the registry's writer, and
// it hands every member the writer's URL in the assignment. The others
// forward registry writes to that URL, so ids and versions are given out in
// one place, one at a time. A writer that goes away leaves the group (or its
// session times out), and the next rebalance elects another.
//
// The group's requests run on a connection lane of their own: a JoinGroup
// parks until the rebalance completes, and a broker answers a connection's
// requests in order.

import { KafkaErrorCode as E, kafkaErrorName } from "../protocol/kafka-error-codes.js";
import { opsLog } from "../ops/ops-log.js";
import type { KafkaClusterStore } from "./kafka-cluster-store.js";

const LANE = "registry-election";
const delay = (ms: number) => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref?.());
const PROTOCOL_TYPE = "tributary-registry";
const PROTOCOL = "v1";

export interface RegistryElectionOptions {
  /** This instance's registry URL, given to the others when it is the writer. */
  url: string;
  group: string;
  /** What the elected instance does, for log lines (default: "writes the schema registry"); the archive elects its archiver the same way. */
  role?: string;
  /** The group's protocol type and the connection lane its requests take (defaults: the registry's). */
  protocolType?: string;
  lane?: string;
  sessionTimeoutMs?: number;
  /** Called (and awaited) when this instance becomes the writer, before it takes writes: read everything written so far. */
  onElected(): Promise<void>;
}

export class RegistryElection {
  private memberId = "";
  private generationId = -1;
  private writerUrl: string | undefined;
  private writer = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly sessionTimeoutMs: number;

  constructor(private readonly cluster: KafkaClusterStore, private readonly options: RegistryElectionOptions) {
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
  }

  /** True while this instance is the writer. */
  get isWriter(): boolean {
    return this.writer;
  }

  /** The writer's URL, once one is elected. */
  get writerUrlNow(): string | undefined {
    return this.writer ? this.options.url : this.writerUrl;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.writer = false;
    if (this.memberId) {
      // On a lane of its own (a JoinGroup may be parked on the group's) and briefly: leaving is a courtesy, the session timeout does it anyway.
      const node = await Promise.race([this.cluster.groupCoordinator(this.options.group).catch(() => undefined), delay(2000)]);
      if (node === undefined) return;
      await Promise.race([
        this.cluster.request("LeaveGroup", { groupId: this.options.group, members: [{ memberId: this.memberId, groupInstanceId: null }] }, node, 0, `${this.options.lane ?? LANE}-leave`).catch(() => undefined),
        delay(2000),
      ]);
    }
  }

  private async request(api: "JoinGroup" | "SyncGroup" | "Heartbeat" | "LeaveGroup", body: Record<string, unknown>, extraTimeoutMs = 0): Promise<Record<string, unknown>> {
    const node = await this.cluster.groupCoordinator(this.options.group);
    return await this.cluster.request(api, body, node, extraTimeoutMs, this.options.lane ?? LANE) as Record<string, unknown>;
  }

  private async run(): Promise<void> {
    let backoffMs = 100;
    while (!this.stopped) {
      try {
        await this.joinAndSync();
        backoffMs = 100;
        await this.heartbeatUntilRebalance();
      } catch (err) {
        if (this.stopped) return;
        this.writer = false;
        opsLog("schema").warn(`election in group ${this.options.group}: ${(err as Error).message}; trying again in ${backoffMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5000);
      }
    }
  }

  private async joinAndSync(): Promise<void> {
    for (;;) {
      const joined = await this.request("JoinGroup", {
        groupId: this.options.group, sessionTimeoutMs: this.sessionTimeoutMs, rebalanceTimeoutMs: this.sessionTimeoutMs, memberId: this.memberId,
        groupInstanceId: null, protocolType: this.options.protocolType ?? PROTOCOL_TYPE, protocols: [{ name: PROTOCOL, metadata: Buffer.from(JSON.stringify({ url: this.options.url })) }],
      }, this.sessionTimeoutMs) as { errorCode: number; generationId: number; leader: string; memberId: string; members: { memberId: string; metadata: Buffer }[] };
      if (joined.errorCode === E.MEMBER_ID_REQUIRED || joined.errorCode === E.UNKNOWN_MEMBER_ID) {
        this.memberId = joined.errorCode === E.MEMBER_ID_REQUIRED ? joined.memberId : "";
        continue;
      }
      if (joined.errorCode !== 0) throw new Error(`JoinGroup: ${kafkaErrorName(joined.errorCode)}`);
      this.memberId = joined.memberId;
      this.generationId = joined.generationId;
      const leads = joined.leader === joined.memberId;
      // The group's leader is the writer: its URL goes to every member.
      const assignment = Buffer.from(JSON.stringify({ writer: this.options.url }));
      const synced = await this.request("SyncGroup", {
        groupId: this.options.group, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null,
        protocolType: this.options.protocolType ?? PROTOCOL_TYPE, protocolName: PROTOCOL, assignments: leads ? joined.members.map((m) => ({ memberId: m.memberId, assignment })) : [],
      }, this.sessionTimeoutMs) as { errorCode: number; assignment: Buffer };
      if (synced.errorCode === E.REBALANCE_IN_PROGRESS) continue;
      if (synced.errorCode !== 0) throw new Error(`SyncGroup: ${kafkaErrorName(synced.errorCode)}`);
      const writer = (JSON.parse(synced.assignment.toString("utf8") || "{}") as { writer?: string }).writer;
      if (leads) {
        await this.options.onElected();
        if (!this.writer) opsLog("schema").info({ group: this.options.group }, `this instance ${this.options.role ?? "writes the schema registry"}`);
        this.writer = true;
      } else {
        if (this.writer || this.writerUrl !== writer) opsLog("schema").info({ writer }, `elected in group ${this.options.group}: ${writer} (${this.options.role ?? "writes the schema registry"})`);
        this.writer = false;
      }
      this.writerUrl = writer;
      return;
    }
  }

  private async heartbeatUntilRebalance(): Promise<void> {
    while (!this.stopped) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(100, Math.floor(this.sessionTimeoutMs / 4))));
      if (this.stopped) return;
      const beat = await this.request("Heartbeat", { groupId: this.options.group, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null }) as { errorCode: number };
      if (beat.errorCode === 0) continue;
      if (beat.errorCode === E.REBALANCE_IN_PROGRESS) return;
      if (beat.errorCode === E.UNKNOWN_MEMBER_ID || beat.errorCode === E.ILLEGAL_GENERATION) {
        this.memberId = beat.errorCode === E.UNKNOWN_MEMBER_ID ? "" : this.memberId;
        this.writer = false;
        return;
      }
      throw new Error(`Heartbeat: ${kafkaErrorName(beat.errorCode)}`);
    }
  }
}
