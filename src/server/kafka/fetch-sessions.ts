// Incremental fetch sessions (KIP-227, Fetch v7+). A session remembers the
// partitions a consumer fetches; later requests send only what changed, and
// responses carry only partitions with news (records, errors, or a moved high
// watermark or log start). Sessions are bounded in number; the least recently
// used is evicted, and its owner falls back to a full fetch. A session
// belongs to the principal that opened it: another cannot read through it,
// nor close it (the partitions in it were authorized for its owner).

import { KafkaErrorCode as E } from "../../protocol/kafka-error-codes.js";

export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  /** What the last response told the client, to decide whether this partition has news. */
  sentHighWatermark: number;
  sentLogStartOffset: number;
}

export interface FetchSession {
  id: number;
  /** The principal that opened the session. */
  owner: string;
  /** The epoch the next incremental request must carry. */
  epoch: number;
  partitions: Map<string, SessionPartition>;
}

export type SessionOutcome =
  | { error: number }
  | { session: FetchSession | undefined; incremental: boolean };

export class FetchSessions {
  private readonly sessions = new Map<number, FetchSession>();
  private nextId = 1;

  constructor(private readonly sessionsMax = 1000) {}

  /** Resolves the session a request refers to, creating or closing one as its id and epoch ask. */
  open(sessionId: number, epoch: number, owner: string): SessionOutcome {
    const own = (id: number) => this.sessions.get(id)?.owner === owner;
    if (epoch === -1) {
      if (sessionId !== 0 && own(sessionId)) this.sessions.delete(sessionId);
      return { session: undefined, incremental: false };
    }
    if (epoch === 0) {
      if (sessionId !== 0 && own(sessionId)) this.sessions.delete(sessionId);
      if (this.sessions.size >= this.sessionsMax) this.sessions.delete(this.sessions.keys().next().value!);
      const session: FetchSession = { id: this.nextId++, owner, epoch: 1, partitions: new Map() };
      if (this.nextId > 2 ** 31 - 1) this.nextId = 1;
      this.sessions.set(session.id, session);
      return { session, incremental: false };
    }
    const session = this.sessions.get(sessionId);
    if (!session || session.owner !== owner) return { error: E.FETCH_SESSION_ID_NOT_FOUND };
    if (epoch !== session.epoch) return { error: E.INVALID_FETCH_SESSION_EPOCH };
    // Most recently used last: the first entry is the one to evict.
    this.sessions.delete(sessionId);
    this.sessions.set(sessionId, session);
    session.epoch = epoch === 2 ** 31 - 1 ? 1 : epoch + 1;
    return { session, incremental: true };
  }

  get size(): number {
    return this.sessions.size;
  }
}
