import { describe, expect, it } from "vitest";
import { GroupCoordinator, type JoinRequest } from "../../../src/server/groups/group-coordinator.js";
import { KafkaErrorCode as E } from "../../../src/protocol/kafka-error-codes.js";

const quiet = () => undefined;
const options = { sessionTimeoutMinMs: 10, sessionTimeoutMaxMs: 60_000, initialRebalanceDelayMs: 0, requireMemberId: true };

function join(overrides: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: "g", memberId: "", groupInstanceId: null, clientId: "c", clientHost: "h", sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 5_000,
    protocolType: "consumer", protocols: [{ name: "range", metadata: Buffer.from("m") }], canRetryWithMemberId: true, ...overrides,
  };
}

describe("group coordinator", () => {
  it("asks new members (JoinGroup v4+) to rejoin with an assigned id, or admits them at once when configured so", async () => {
    const coordinator = new GroupCoordinator(options, quiet);
    const first = await coordinator.group("g").join(join());
    expect(first.errorCode).toBe(E.MEMBER_ID_REQUIRED);
    const second = await coordinator.group("g").join(join({ memberId: first.memberId }));
    expect(second).toMatchObject({ errorCode: 0, generationId: 1, leader: first.memberId, memberId: first.memberId, protocolName: "range" });
    const old = await coordinator.group("old").join(join({ groupId: "old", canRetryWithMemberId: false }));
    expect(old.errorCode).toBe(0);
    const relaxed = new GroupCoordinator({ ...options, requireMemberId: false }, quiet);
    expect((await relaxed.group("g").join(join())).errorCode).toBe(0);
    coordinator.shutdown();
    relaxed.shutdown();
  });

  it("runs a rebalance: heartbeats say REBALANCE_IN_PROGRESS until everyone rejoined, the leader's sync hands out assignments", async () => {
    const coordinator = new GroupCoordinator({ ...options, requireMemberId: false }, quiet);
    const group = coordinator.group("g");
    const a = await group.join(join());
    const syncA = await group.sync(a.memberId, a.generationId, null, [{ memberId: a.memberId, assignment: Buffer.from("all") }]);
    expect(syncA).toEqual({ errorCode: 0, assignment: Buffer.from("all") });
    const joiningB = group.join(join({ clientId: "b" }));
    await new Promise((r) => setImmediate(r));
    expect(group.heartbeat(a.memberId, a.generationId, null)).toBe(E.REBALANCE_IN_PROGRESS);
    const a2 = await group.join(join({ memberId: a.memberId }));
    const b = await joiningB;
    expect(a2.generationId).toBe(2);
    expect(a2.members).toHaveLength(2); // the leader gets everyone's metadata
    expect(b.members).toHaveLength(0);
    const syncB = group.sync(b.memberId, 2, null, []);
    await group.sync(a.memberId, 2, null, [{ memberId: a.memberId, assignment: Buffer.from("A") }, { memberId: b.memberId, assignment: Buffer.from("B") }]);
    expect(await syncB).toEqual({ errorCode: 0, assignment: Buffer.from("B") });
    expect(group.heartbeat(b.memberId, 1, null)).toBe(E.ILLEGAL_GENERATION);
    expect(group.heartbeat("stranger", 2, null)).toBe(E.UNKNOWN_MEMBER_ID);
    expect(group.validateCommit(b.memberId, 2, null)).toBe(0);
    expect(group.validateCommit(b.memberId, 1, null)).toBe(E.ILLEGAL_GENERATION);
    expect(group.leave(b.memberId, null)).toBe(0);
    expect(group.state).toBe("PreparingRebalance");
    expect(group.validateCommit(a.memberId, 2, null)).toBe(0); // members may commit before they rejoin
    coordinator.shutdown();
  });

  it("refuses bad joins: session timeout out of bounds, another protocol type, no common protocol", async () => {
    const coordinator = new GroupCoordinator({ ...options, requireMemberId: false }, quiet);
    const group = coordinator.group("g");
    expect((await group.join(join({ sessionTimeoutMs: 5 }))).errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
    await group.join(join());
    expect((await group.join(join({ protocolType: "connect" }))).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect((await group.join(join({ protocols: [{ name: "other", metadata: Buffer.alloc(0) }] }))).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    coordinator.shutdown();
  });

  it("lets a restarted static member take its place and fences the old process", async () => {
    const coordinator = new GroupCoordinator({ ...options, requireMemberId: false }, quiet);
    const group = coordinator.group("g");
    const first = await group.join(join({ groupInstanceId: "instance-1" }));
    await group.sync(first.memberId, first.generationId, "instance-1", [{ memberId: first.memberId, assignment: Buffer.from("p0") }]);
    const restarted = await group.join(join({ groupInstanceId: "instance-1" }));
    expect(restarted.memberId).not.toBe(first.memberId);
    expect(group.heartbeat(first.memberId, first.generationId, "instance-1")).toBe(E.FENCED_INSTANCE_ID);
    expect((await group.join(join({ groupInstanceId: "instance-1", memberId: first.memberId }))).errorCode).toBe(E.FENCED_INSTANCE_ID);
    coordinator.shutdown();
  });

  it("removes a member that stops heartbeating, after its session timeout", async () => {
    const coordinator = new GroupCoordinator({ ...options, requireMemberId: false }, quiet);
    const group = coordinator.group("g");
    const a = await group.join(join({ sessionTimeoutMs: 50 }));
    await group.sync(a.memberId, a.generationId, null, []);
    await new Promise((r) => setTimeout(r, 200));
    expect(group.members.size).toBe(0);
    expect(group.state).toBe("Empty");
    coordinator.shutdown();
  });
});
