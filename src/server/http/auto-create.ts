// Topics created on first use over HTTP, as Kafka creates them for a client's
// Metadata request when auto.create.topics.enable is on: a REST produce or
// subscribe to an unknown topic creates it with the broker's default
// partition count instead of answering 404.

import type { LogStore } from "../../log/store.js";
import { TopicExistsError } from "../../log/errors.js";
import { logAdminChange, type Actor } from "../../ops/ops-log.js";

/** Partitions of a topic created on first use; undefined when auto-creation is off. */
export type AutoCreate = { partitions: number } | undefined;

export async function ensureTopics(logs: LogStore, autoCreate: AutoCreate, topics: string[], actor: Actor): Promise<void> {
  if (!autoCreate) return;
  for (const topic of topics) {
    if (logs.hasTopic(topic) || logs.isInternalTopic(topic)) continue;
    try {
      await logs.createTopic(topic, { partitions: autoCreate.partitions });
      logAdminChange(actor, "topic.auto_create", `auto-created topic ${topic} (first use over HTTP)`, { topic, partitions: autoCreate.partitions });
    } catch (err) {
      if (!(err instanceof TopicExistsError)) throw err; // created meanwhile by another request: fine
    }
  }
}
