// Access control in Kafka's model: a binding allows or denies a principal,
// from a host, one operation on a resource (a topic, a group, the cluster, a
// transactional id) named literally or by prefix. Deny wins; READ, WRITE,
// DELETE and ALTER imply DESCRIBE, ALTER_CONFIGS implies DESCRIBE_CONFIGS;
// super users pass every check; with authentication on, what no binding
// allows is denied (allow.everyone.if.no.acl.found=false). The numbers are
// Kafka's, as the ACL APIs carry them.

export const ResourceType = { ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const PatternType = { ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const Operation = {
  ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12, CREATE_TOKENS: 13, DESCRIBE_TOKENS: 14,
} as const;
export const Permission = { ANY: 1, DENY: 2, ALLOW: 3 } as const;

export type ResourceTypeName = keyof typeof ResourceType;
export type OperationName = keyof typeof Operation;

/** The one cluster resource's name, as Kafka names it. */
export const CLUSTER_RESOURCE = "kafka-cluster";
export const WILDCARD = "*";
export const ANY_USER = "User:*";

export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permission: number;
}

/** A filter over bindings (DescribeAcls, DeleteAcls): ANY and null match everything. */
export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permission: number;
}

export class AclError extends Error {}

function nameOf(table: Record<string, number>, value: number): string {
  return Object.keys(table).find((k) => table[k] === value) ?? `UNKNOWN(${value})`;
}

export const resourceTypeName = (n: number) => nameOf(ResourceType, n);
export const patternTypeName = (n: number) => nameOf(PatternType, n);
export const operationName = (n: number) => nameOf(Operation, n);
export const permissionName = (n: number) => nameOf(Permission, n);

/** Parses a name (any case, '-' or '_') from one of the tables above. */
export function parseName(table: Record<string, number>, what: string, text: string): number {
  const key = text.trim().toUpperCase().replace(/-/g, "_");
  const value = table[key];
  if (value === undefined) throw new AclError(`unknown ${what} '${text}' (one of ${Object.keys(table).map((k) => k.toLowerCase()).join(", ")})`);
  return value;
}

const PRINCIPAL = /^[A-Za-z][A-Za-z0-9]*:.+$/s;

/** AclError unless a binding may be stored (CreateAcls' checks). */
export function checkBinding(b: AclBinding): void {
  if (![ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER, ResourceType.TRANSACTIONAL_ID, ResourceType.DELEGATION_TOKEN, ResourceType.USER]
    .includes(b.resourceType as 2)) throw new AclError(`resource type ${resourceTypeName(b.resourceType)} cannot be used in an ACL`);
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) throw new AclError(`pattern type ${patternTypeName(b.patternType)} cannot be used in an ACL (literal or prefixed)`);
  if (!b.resourceName) throw new AclError("the resource name is empty");
  if (b.resourceType === ResourceType.CLUSTER && (b.resourceName !== CLUSTER_RESOURCE || b.patternType !== PatternType.LITERAL)) {
    throw new AclError(`the cluster resource is named '${CLUSTER_RESOURCE}' (literal)`);
  }
  if (b.patternType === PatternType.PREFIXED && b.resourceName === WILDCARD) throw new AclError("a prefixed pattern of '*' is not allowed; use the literal '*'");
  if (!PRINCIPAL.test(b.principal)) throw new AclError(`principal '${b.principal}' must be TYPE:NAME, such as User:alice`);
  if (!b.host) throw new AclError("the host is empty ('*' for any)");
  if (b.operation <= Operation.ANY || b.operation > Operation.DESCRIBE_TOKENS) throw new AclError(`operation ${operationName(b.operation)} cannot be used in an ACL`);
  if (b.permission !== Permission.ALLOW && b.permission !== Permission.DENY) throw new AclError(`permission ${permissionName(b.permission)} cannot be used in an ACL (allow or deny)`);
}

/** Whether a binding's resource pattern covers the resource `type`/`name`. */
function patternCovers(b: AclBinding, type: number, name: string): boolean {
  if (b.resourceType !== type) return false;
  if (b.patternType === PatternType.LITERAL) return b.resourceName === name || b.resourceName === WILDCARD;
  return name.startsWith(b.resourceName);
}

/** Filter semantics of Kafka's AclBindingFilter. */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType === PatternType.MATCH) {
    if (f.resourceName !== null && !patternCovers(b, b.resourceType, f.resourceName)) return false;
  } else {
    if (f.patternType !== PatternType.ANY && f.patternType !== b.patternType) return false;
    if (f.resourceName !== null && f.resourceName !== b.resourceName) return false;
  }
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== Operation.ANY && f.operation !== b.operation) return false;
  if (f.permission !== Permission.ANY && f.permission !== b.permission) return false;
  return true;
}

/** The operations an ALLOW of `op` also allows. */
function allowedBy(op: number): number[] {
  if (op === Operation.DESCRIBE) return [Operation.DESCRIBE, Operation.READ, Operation.WRITE, Operation.DELETE, Operation.ALTER];
  if (op === Operation.DESCRIBE_CONFIGS) return [Operation.DESCRIBE_CONFIGS, Operation.ALTER_CONFIGS];
  return [op];
}

/** Who is asking, as the authorizer sees it. */
export interface Session {
  /** "User:alice"; "User:ANONYMOUS" when authentication is off. */
  principal: string;
  /** The client's address, without port. */
  host: string;
}

export const ANONYMOUS = "User:ANONYMOUS";

/** A client's address as ACLs name hosts: without the port, IPv4 without the IPv6 mapping ("::ffff:10.0.0.1:5000" → "10.0.0.1"). */
export function hostOf(address: string, withPort = true): string {
  const host = withPort ? address.replace(/:\d+$/, "") : address;
  return host.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
}

export class Authorizer {
  private bindings: AclBinding[] = [];

  /**
   * `enabled` false: everything is allowed (authentication off, as Kafka
   * without an authorizer). `superUsers`: principals such as "User:admin".
   */
  constructor(readonly enabled: boolean, private readonly superUsers: ReadonlySet<string>) {}

  /** Replaces the bindings checked (the security store calls this on every change). */
  setBindings(bindings: AclBinding[]): void {
    this.bindings = bindings;
  }

  isSuperUser(principal: string): boolean {
    return this.superUsers.has(principal);
  }

  /** Whether `session` may do `op` on the resource. */
  allows(session: Session, op: number, type: number, name: string): boolean {
    if (!this.enabled || this.superUsers.has(session.principal)) return true;
    let allowed = false;
    const allowing = allowedBy(op);
    for (const b of this.bindings) {
      if (!patternCovers(b, type, name)) continue;
      if (b.principal !== session.principal && b.principal !== ANY_USER) continue;
      if (b.host !== WILDCARD && b.host !== session.host) continue;
      if (b.permission === Permission.DENY) {
        if (b.operation === op || b.operation === Operation.ALL) return false;
      } else if (b.operation === Operation.ALL || allowing.includes(b.operation)) {
        allowed = true;
      }
    }
    return allowed;
  }

  /** Kafka's check for an operation on a resource of any name (IDEMPOTENT_WRITE's fallback: WRITE on any topic). */
  allowsAny(session: Session, op: number, type: number): boolean {
    if (!this.enabled || this.superUsers.has(session.principal)) return true;
    const allowing = allowedBy(op);
    const principalMatches = (b: AclBinding) => (b.principal === session.principal || b.principal === ANY_USER) && (b.host === WILDCARD || b.host === session.host);
    return this.bindings.some((b) => b.resourceType === type && b.permission === Permission.ALLOW && principalMatches(b) &&
      (b.operation === Operation.ALL || allowing.includes(b.operation)) &&
      // A literal allow on one name is not cancelled by denies elsewhere; a full check runs per resource when it is used.
      !this.bindings.some((d) => d.permission === Permission.DENY && principalMatches(d) && d.resourceType === type &&
        d.patternType === PatternType.LITERAL && d.resourceName === WILDCARD && (d.operation === op || d.operation === Operation.ALL)));
  }
}

/** One binding as a line: `User:alice from * ALLOW READ on TOPIC orders (literal)`. */
export function describeBinding(b: AclBinding): string {
  return `${b.principal} from ${b.host} ${permissionName(b.permission)} ${operationName(b.operation)} on ${resourceTypeName(b.resourceType)} ${b.resourceName} (${patternTypeName(b.patternType).toLowerCase()})`;
}
