// The classic consumer-group protocol (JoinGroup / SyncGroup / Heartbeat /
// LeaveGroup), as a Kafka group coordinator runs it: rebalances in rounds,
// generations, member ids (KIP-394), session and rebalance timeouts, static
// membership (KIP-345). The broker never interprets member metadata or
// assignments; it picks a protocol every member supports and hands the
// leader's assignment bytes to each member. Membership lives in memory (members
// rejoin after a restart); committed offsets are durable in the OffsetStore.

import { randomUUID } from "node:crypto";
import { KafkaErrorCode as E } from "../../protocol/kafka-error-codes.js";
import { opsLog } from "../../ops/ops-log.js";

export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

export interface GroupCoordinatorOptions {
  sessionTimeoutMinMs: number;
  sessionTimeoutMaxMs: number;
  /** Wait for more members before the first rebalance of an empty group. */
  initialRebalanceDelayMs: number;
  /** Answer a first JoinGroup (v4+) with MEMBER_ID_REQUIRED and an id, as Kafka does (KIP-394). */
  requireMemberId: boolean;
}

export const DEFAULT_GROUP_OPTIONS: GroupCoordinatorOptions = {
  sessionTimeoutMinMs: 6000,
  sessionTimeoutMaxMs: 1_800_000,
  initialRebalanceDelayMs: 3000,
  requireMemberId: true,
};

export interface Protocol {
  name: string;
  metadata: Buffer;
}

/** What a member says about itself when it joins. */
interface MemberSettings {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
}

export interface JoinRequest extends MemberSettings {
  groupId: string;
  /** Whether the client understands MEMBER_ID_REQUIRED (JoinGroup v4+). */
  canRetryWithMemberId: boolean;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface Member extends MemberSettings {
  assignment: Buffer;
  joinWaiter?: (result: JoinResult) => void;
  syncWaiter?: (result: { errorCode: number; assignment: Buffer }) => void;
  sessionTimer?: NodeJS.Timeout;
}

const EMPTY = Buffer.alloc(0);

export class Group {
  state: GroupState = "Empty";
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** Ids handed out with MEMBER_ID_REQUIRED, waiting for the client's second JoinGroup. */
  readonly pendingMemberIds = new Set<string>();
  private rebalanceTimer: NodeJS.Timeout | undefined;

  constructor(readonly groupId: string, private readonly options: GroupCoordinatorOptions, private readonly log: (m: string) => void) {}

  private memberByInstance(instanceId: string): Member | undefined {
    for (const m of this.members.values()) if (m.groupInstanceId === instanceId) return m;
    return undefined;
  }

  join(req: JoinRequest): Promise<JoinResult> {
    if (req.sessionTimeoutMs < this.options.sessionTimeoutMinMs || req.sessionTimeoutMs > this.options.sessionTimeoutMaxMs) {
      return Promise.resolve(this.joinError(E.INVALID_SESSION_TIMEOUT, req.memberId));
    }
    if (this.protocolType !== null && this.members.size > 0 && req.protocolType !== this.protocolType) {
      return Promise.resolve(this.joinError(E.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    }
    if (this.members.size > 0 && !req.protocols.some((p) => [...this.members.values()].every((m) => m.protocols.some((q) => q.name === p.name)))) {
      return Promise.resolve(this.joinError(E.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    }
    let member: Member | undefined;
    if (req.groupInstanceId !== null) {
      const existing = this.memberByInstance(req.groupInstanceId);
      if (existing && req.memberId !== "" && req.memberId !== existing.memberId) {
        return Promise.resolve(this.joinError(E.FENCED_INSTANCE_ID, req.memberId));
      }
      if (existing && req.memberId === "") {
        // A static member restarted: it takes over its old place under a new id, fencing the old process.
        this.members.delete(existing.memberId);
        existing.joinWaiter?.(this.joinError(E.FENCED_INSTANCE_ID, existing.memberId));
        existing.syncWaiter?.({ errorCode: E.FENCED_INSTANCE_ID, assignment: EMPTY });
        existing.joinWaiter = existing.syncWaiter = undefined;
        existing.memberId = `${req.groupInstanceId}-${randomUUID()}`;
        this.members.set(existing.memberId, existing);
        if (this.leaderId !== null && !this.members.has(this.leaderId)) this.leaderId = existing.memberId;
      }
      member = existing;
    } else if (req.memberId === "") {
      const memberId = `${req.clientId || "member"}-${randomUUID()}`;
      if (req.canRetryWithMemberId && this.options.requireMemberId) {
        this.pendingMemberIds.add(memberId);
        return Promise.resolve(this.joinError(E.MEMBER_ID_REQUIRED, memberId));
      }
      req = { ...req, memberId };
    } else {
      member = this.members.get(req.memberId);
      if (!member && !this.pendingMemberIds.has(req.memberId)) return Promise.resolve(this.joinError(E.UNKNOWN_MEMBER_ID, req.memberId));
    }
    this.pendingMemberIds.delete(req.memberId);
    const isNew = !member;
    if (!member) {
      member = {
        memberId: req.groupInstanceId !== null ? `${req.groupInstanceId}-${randomUUID()}` : req.memberId,
        groupInstanceId: req.groupInstanceId,
        clientId: req.clientId,
        clientHost: req.clientHost,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        protocolType: req.protocolType,
        protocols: req.protocols,
        assignment: EMPTY,
      };
      this.members.set(member.memberId, member);
      if (this.leaderId === null) this.leaderId = member.memberId;
    }
    const unchanged = sameProtocols(member.protocols, req.protocols);
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.protocolType = req.protocolType;
    this.protocolType ??= req.protocolType;
    this.touch(member);
    if (this.state === "Stable" && unchanged && !isNew && member.memberId !== this.leaderId) {
      // A follower rejoining with nothing new: hand back the current generation without a rebalance.
      return Promise.resolve(this.joinResult(member));
    }
    const result = new Promise<JoinResult>((resolve) => {
      member!.joinWaiter?.(this.joinError(E.REBALANCE_IN_PROGRESS, member!.memberId));
      member!.joinWaiter = resolve;
    });
    if (this.state !== "PreparingRebalance") this.prepareRebalance(`${member.memberId} joined`);
    else this.maybeCompleteJoin();
    return result;
  }

  private joinError(errorCode: number, memberId: string): JoinResult {
    return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: "", memberId, members: [] };
  }

  private joinResult(member: Member): JoinResult {
    const isLeader = member.memberId === this.leaderId;
    return {
      errorCode: 0,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? "",
      memberId: member.memberId,
      members: isLeader
        ? [...this.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          metadata: m.protocols.find((p) => p.name === this.protocolName)?.metadata ?? EMPTY,
        }))
        : [],
    };
  }

  private prepareRebalance(reason: string): void {
    this.log(`group ${this.groupId}: rebalancing (${reason})`);
    const wasEmpty = this.state === "Empty";
    this.state = "PreparingRebalance";
    for (const m of this.members.values()) {
      // Members waiting in SyncGroup must rejoin.
      m.syncWaiter?.({ errorCode: E.REBALANCE_IN_PROGRESS, assignment: EMPTY });
      m.syncWaiter = undefined;
    }
    clearTimeout(this.rebalanceTimer);
    const timeout = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    const delay = wasEmpty ? Math.min(this.options.initialRebalanceDelayMs, timeout) : timeout;
    this.rebalanceTimer = setTimeout(() => this.completeJoin(true), delay);
    if (!wasEmpty || this.options.initialRebalanceDelayMs === 0) this.maybeCompleteJoin();
  }

  private maybeCompleteJoin(): void {
    if (this.state !== "PreparingRebalance") return;
    if ([...this.members.values()].every((m) => m.joinWaiter) && this.members.size > 0) {
      // Give members joining in the same moment a chance to be part of this generation.
      setImmediate(() => {
        if (this.state === "PreparingRebalance" && [...this.members.values()].every((m) => m.joinWaiter)) {
          if (this.initialDelayPending()) return;
          this.completeJoin(false);
        }
      });
    }
  }

  private initialDelayPending(): boolean {
    return this.generationId === 0 && this.options.initialRebalanceDelayMs > 0 && this.rebalanceTimer !== undefined && !this.initialDelayOver;
  }

  private initialDelayOver = false;

  private completeJoin(timedOut: boolean): void {
    if (this.state !== "PreparingRebalance") return;
    if (timedOut) this.initialDelayOver = true;
    clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = undefined;
    for (const m of [...this.members.values()]) {
      if (!m.joinWaiter) {
        this.log(`group ${this.groupId}: removing ${m.memberId}: it did not rejoin within the rebalance timeout`);
        this.removeMember(m);
      }
    }
    if (this.members.size === 0) {
      this.becomeEmpty();
      return;
    }
    if (!this.leaderId || !this.members.has(this.leaderId)) this.leaderId = this.members.keys().next().value!;
    this.generationId++;
    this.protocolName = this.chooseProtocol();
    this.state = "CompletingRebalance";
    for (const m of this.members.values()) {
      const waiter = m.joinWaiter!;
      m.joinWaiter = undefined;
      m.assignment = EMPTY;
      this.touch(m);
      waiter(this.joinResult(m));
    }
  }

  /** Each member votes for its first protocol that every member supports; most votes wins. */
  private chooseProtocol(): string {
    const members = [...this.members.values()];
    const common = members[0]!.protocols.map((p) => p.name).filter((n) => members.every((m) => m.protocols.some((p) => p.name === n)));
    const votes = new Map<string, number>();
    for (const m of members) {
      const vote = m.protocols.find((p) => common.includes(p.name))!.name;
      votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    return [...votes.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  }

  sync(memberId: string, generationId: number, groupInstanceId: string | null, assignments: { memberId: string; assignment: Buffer }[]): Promise<{ errorCode: number; assignment: Buffer }> {
    const member = this.members.get(memberId);
    if (!member) return Promise.resolve({ errorCode: this.fencedOrUnknown(groupInstanceId), assignment: EMPTY });
    if (groupInstanceId !== null && member.groupInstanceId !== groupInstanceId) return Promise.resolve({ errorCode: E.FENCED_INSTANCE_ID, assignment: EMPTY });
    if (generationId !== this.generationId) return Promise.resolve({ errorCode: E.ILLEGAL_GENERATION, assignment: EMPTY });
    this.touch(member);
    if (this.state === "PreparingRebalance") return Promise.resolve({ errorCode: E.REBALANCE_IN_PROGRESS, assignment: EMPTY });
    if (this.state === "Stable") return Promise.resolve({ errorCode: 0, assignment: member.assignment });
    const result = new Promise<{ errorCode: number; assignment: Buffer }>((resolve) => (member.syncWaiter = resolve));
    if (memberId === this.leaderId) {
      const byId = new Map(assignments.map((a) => [a.memberId, a.assignment]));
      this.state = "Stable";
      this.log(`group ${this.groupId}: generation ${this.generationId} stable with ${this.members.size} members`);
      for (const m of this.members.values()) {
        m.assignment = byId.get(m.memberId) ?? EMPTY;
        m.syncWaiter?.({ errorCode: 0, assignment: m.assignment });
        m.syncWaiter = undefined;
      }
    }
    return result;
  }

  private fencedOrUnknown(groupInstanceId: string | null): number {
    return groupInstanceId !== null && this.memberByInstance(groupInstanceId) ? E.FENCED_INSTANCE_ID : E.UNKNOWN_MEMBER_ID;
  }

  heartbeat(memberId: string, generationId: number, groupInstanceId: string | null): number {
    const member = this.members.get(memberId);
    if (!member) return this.fencedOrUnknown(groupInstanceId);
    if (groupInstanceId !== null && member.groupInstanceId !== groupInstanceId) return E.FENCED_INSTANCE_ID;
    this.touch(member);
    if (this.state === "PreparingRebalance") return E.REBALANCE_IN_PROGRESS;
    if (generationId !== this.generationId) return E.ILLEGAL_GENERATION;
    return 0;
  }

  /** Checks that a commit comes from a current member (or, for an empty group, from an admin client). */
  validateCommit(memberId: string, generationId: number, groupInstanceId: string | null): number {
    if (generationId < 0 && memberId === "") return this.members.size === 0 ? 0 : E.UNKNOWN_MEMBER_ID;
    const member = this.members.get(memberId);
    if (!member) return this.fencedOrUnknown(groupInstanceId);
    if (generationId !== this.generationId) return E.ILLEGAL_GENERATION;
    // As in Kafka: members may still commit while a rebalance is being prepared (before they rejoin),
    // but not between the join and the leader's assignment.
    if (this.state === "CompletingRebalance") return E.REBALANCE_IN_PROGRESS;
    this.touch(member);
    return 0;
  }

  leave(memberId: string, groupInstanceId: string | null): number {
    const member = groupInstanceId !== null ? this.memberByInstance(groupInstanceId) : this.members.get(memberId);
    if (!member) return E.UNKNOWN_MEMBER_ID;
    if (groupInstanceId !== null && memberId !== "" && member.memberId !== memberId) return E.FENCED_INSTANCE_ID;
    this.log(`group ${this.groupId}: ${member.memberId} left`);
    this.removeMember(member);
    this.afterRemoval(`${member.memberId} left`);
    return 0;
  }

  private afterRemoval(reason: string): void {
    if (this.members.size === 0) {
      this.becomeEmpty();
      return;
    }
    if (this.state === "Stable" || this.state === "CompletingRebalance") this.prepareRebalance(reason);
    else this.maybeCompleteJoin();
  }

  private removeMember(member: Member): void {
    clearTimeout(member.sessionTimer);
    this.members.delete(member.memberId);
    member.joinWaiter?.(this.joinError(E.UNKNOWN_MEMBER_ID, member.memberId));
    member.syncWaiter?.({ errorCode: E.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    member.joinWaiter = member.syncWaiter = undefined;
    if (this.leaderId === member.memberId) this.leaderId = this.members.keys().next().value ?? null;
  }

  private becomeEmpty(): void {
    clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = undefined;
    this.state = "Empty";
    this.generationId++;
    this.leaderId = null;
    this.protocolName = null;
    this.initialDelayOver = false;
  }

  /** Restarts the member's session timer: no sign of life within sessionTimeoutMs removes it. */
  private touch(member: Member): void {
    clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => {
      if (this.members.get(member.memberId) !== member) return;
      if (member.joinWaiter) return; // waiting in a rebalance: the rebalance timeout governs
      this.log(`group ${this.groupId}: ${member.memberId} missed its ${member.sessionTimeoutMs} ms session timeout`);
      this.removeMember(member);
      this.afterRemoval(`${member.memberId} timed out`);
    }, member.sessionTimeoutMs);
    member.sessionTimer.unref?.();
  }

  shutdown(): void {
    clearTimeout(this.rebalanceTimer);
    for (const m of this.members.values()) {
      clearTimeout(m.sessionTimer);
      m.joinWaiter?.(this.joinError(E.COORDINATOR_NOT_AVAILABLE, m.memberId));
      m.syncWaiter?.({ errorCode: E.COORDINATOR_NOT_AVAILABLE, assignment: EMPTY });
    }
  }
}

function sameProtocols(a: Protocol[], b: Protocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata));
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();

  constructor(readonly options: GroupCoordinatorOptions = DEFAULT_GROUP_OPTIONS,
    private readonly log: (m: string) => void = (m) => opsLog("groups").info(m)) {}

  group(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group) {
      group = new Group(groupId, this.options, this.log);
      this.groups.set(groupId, group);
    }
    return group;
  }

  existing(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  list(): Group[] {
    return [...this.groups.values()];
  }

  delete(groupId: string): void {
    this.groups.get(groupId)?.shutdown();
    this.groups.delete(groupId);
  }

  shutdown(): void {
    for (const g of this.groups.values()) g.shutdown();
  }
}
