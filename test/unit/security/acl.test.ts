// The authorizer's decisions in Kafka's model: literal, wildcard and
// prefixed patterns, principals and hosts, deny over allow, implied
// DESCRIBE, super users, and everything allowed while authentication is off.
import { describe, expect, it } from "vitest";
import { Authorizer, CLUSTER_RESOURCE, Operation as Op, PatternType, Permission, ResourceType as R, checkBinding, filterMatches, type AclBinding } from "../../../src/security/acl.js";

const alice = { principal: "User:alice", host: "10.0.0.1" };
const bob = { principal: "User:bob", host: "10.0.0.2" };

function binding(over: Partial<AclBinding>): AclBinding {
  return { resourceType: R.TOPIC, resourceName: "orders", patternType: PatternType.LITERAL, principal: "User:alice", host: "*", operation: Op.READ, permission: Permission.ALLOW, ...over };
}

describe("ACL authorizer", () => {
  it("allows what a binding allows, and nothing else", () => {
    const a = new Authorizer(true, new Set());
    a.setBindings([binding({})]);
    expect(a.allows(alice, Op.READ, R.TOPIC, "orders")).toBe(true);
    expect(a.allows(alice, Op.WRITE, R.TOPIC, "orders")).toBe(false);
    expect(a.allows(alice, Op.READ, R.TOPIC, "orders2")).toBe(false);
    expect(a.allows(bob, Op.READ, R.TOPIC, "orders")).toBe(false);
    expect(a.allows(alice, Op.READ, R.GROUP, "orders")).toBe(false);
  });

  it("READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; ALL allows everything", () => {
    for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) {
      const a = new Authorizer(true, new Set());
      a.setBindings([binding({ operation: op })]);
      expect(a.allows(alice, Op.DESCRIBE, R.TOPIC, "orders")).toBe(true);
    }
    const configs = new Authorizer(true, new Set());
    configs.setBindings([binding({ operation: Op.ALTER_CONFIGS })]);
    expect(configs.allows(alice, Op.DESCRIBE_CONFIGS, R.TOPIC, "orders")).toBe(true);
    expect(configs.allows(alice, Op.DESCRIBE, R.TOPIC, "orders")).toBe(false);
    const all = new Authorizer(true, new Set());
    all.setBindings([binding({ operation: Op.ALL })]);
    expect(all.allows(alice, Op.DELETE, R.TOPIC, "orders")).toBe(true);
  });

  it("prefixed patterns, the '*' name, User:* and hosts", () => {
    const a = new Authorizer(true, new Set());
    a.setBindings([
      binding({ resourceName: "ord", patternType: PatternType.PREFIXED }),
      binding({ resourceName: "*", principal: "User:*", operation: Op.DESCRIBE }),
      binding({ resourceName: "local", host: "10.0.0.2", principal: "User:bob", operation: Op.WRITE }),
    ]);
    expect(a.allows(alice, Op.READ, R.TOPIC, "orders")).toBe(true);
    expect(a.allows(alice, Op.READ, R.TOPIC, "ordinal")).toBe(true);
    expect(a.allows(alice, Op.READ, R.TOPIC, "or")).toBe(false);
    expect(a.allows(bob, Op.DESCRIBE, R.TOPIC, "anything")).toBe(true);
    expect(a.allows(bob, Op.WRITE, R.TOPIC, "local")).toBe(true);
    expect(a.allows({ ...bob, host: "10.0.0.3" }, Op.WRITE, R.TOPIC, "local")).toBe(false);
  });

  it("a deny wins over any allow; super users pass every check; with authentication off everything is allowed", () => {
    const a = new Authorizer(true, new Set(["User:root"]));
    a.setBindings([
      binding({ resourceName: "ord", patternType: PatternType.PREFIXED, operation: Op.ALL }),
      binding({ resourceName: "orders-secret", permission: Permission.DENY }),
    ]);
    expect(a.allows(alice, Op.READ, R.TOPIC, "orders-secret")).toBe(false);
    // A deny of READ does not deny DESCRIBE, which the allow of ALL gives.
    expect(a.allows(alice, Op.DESCRIBE, R.TOPIC, "orders-secret")).toBe(true);
    expect(a.allows({ principal: "User:root", host: "1.2.3.4" }, Op.DELETE, R.CLUSTER, CLUSTER_RESOURCE)).toBe(true);
    expect(new Authorizer(false, new Set()).allows(bob, Op.DELETE, R.TOPIC, "x")).toBe(true);
  });

  it("IDEMPOTENT_WRITE's fallback: WRITE allowed on some topic", () => {
    const a = new Authorizer(true, new Set());
    a.setBindings([binding({ operation: Op.WRITE })]);
    expect(a.allowsAny(alice, Op.WRITE, R.TOPIC)).toBe(true);
    expect(a.allowsAny(bob, Op.WRITE, R.TOPIC)).toBe(false);
  });

  it("refuses bindings Kafka refuses, and filters as Kafka's binding filters do", () => {
    expect(() => checkBinding(binding({ resourceType: R.ANY }))).toThrow(/cannot be used/);
    expect(() => checkBinding(binding({ patternType: PatternType.MATCH }))).toThrow(/literal or prefixed/);
    expect(() => checkBinding(binding({ resourceType: R.CLUSTER, resourceName: "other" }))).toThrow(/kafka-cluster/);
    expect(() => checkBinding(binding({ principal: "alice" }))).toThrow(/TYPE:NAME/);
    expect(() => checkBinding(binding({ operation: Op.ANY }))).toThrow(/operation/);
    expect(() => checkBinding(binding({ permission: Permission.ANY }))).toThrow(/allow or deny/);
    expect(() => checkBinding(binding({ resourceName: "*", patternType: PatternType.PREFIXED }))).toThrow(/literal '\*'/);
    const prefixed = binding({ resourceName: "ord", patternType: PatternType.PREFIXED });
    const any = { resourceType: R.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permission: Permission.ANY };
    expect(filterMatches(any, prefixed)).toBe(true);
    expect(filterMatches({ ...any, resourceType: R.TOPIC, resourceName: "orders", patternType: PatternType.MATCH }, prefixed)).toBe(true);
    expect(filterMatches({ ...any, resourceType: R.TOPIC, resourceName: "orders", patternType: PatternType.LITERAL }, prefixed)).toBe(false);
    expect(filterMatches({ ...any, principal: "User:bob" }, prefixed)).toBe(false);
  });
});
