// Confluent REST Proxy v3: the resource API newer Confluent tools and UIs use.
// One cluster (this broker) with its brokers, topics (list, create, delete,
// configs, partitions) and consumer groups (consumers, lag). Every answer has
// Confluent's shape: `kind`, `metadata.self` (and `resource_name`), and lists
// under `data`; links to related resources as `{ related: URL }`. Records are
// produced by v3-records.ts.

import type { Context, Hono } from "hono";
import type { HttpDeps } from "./http-deps.js";
import { bodyJson } from "./request-body.js";
import { HttpError } from "./http-error.js";
import { groupLag } from "../group-lag.js";
import { decodeAssignment } from "../groups/consumer-protocol.js";
import { TopicExistsError } from "../../log/errors.js";
import { produceV3 } from "./v3-records.js";
import { logAdminChange } from "../../ops/ops-log.js";
import { httpActor } from "./actor.js";
import { checked, doc, Done } from "./api-doc.js";
import * as api from "./api-schemas.js";
import { Operation, ResourceType, requireCreate } from "./http-access-checks.js";

/** The URL prefix of this cluster's resources, as the client reached it. */
export function clusterBase(c: Context, clusterId: string): string {
  return `${new URL(c.req.url).origin}/v3/clusters/${clusterId}`;
}

/** The cluster in the path must be this one: 404 otherwise, as Confluent answers. */
export function checkCluster(c: Context, deps: HttpDeps): string {
  const id = c.req.param("cluster")!;
  if (id !== deps.logs.clusterId) throw new HttpError(404, 404, `Cluster ${id} cannot be found.`);
  return id;
}

function list(kind: string, self: string, data: unknown[]) {
  return { kind, metadata: { self, next: null }, data };
}

function resource<T extends Record<string, unknown>>(kind: string, self: string, resourceName: string, fields: T) {
  return { kind, metadata: { self, resource_name: resourceName }, ...fields };
}

const related = (url: string) => ({ related: url });

function clusterJson(c: Context, deps: HttpDeps) {
  const id = deps.logs.clusterId;
  const base = clusterBase(c, id);
  return resource("KafkaCluster", base, `crn:///kafka=${id}`, {
    cluster_id: id,
    controller: related(`${base}/brokers/${deps.kafkaNode.nodeId}`),
    acls: related(`${base}/acls`),
    brokers: related(`${base}/brokers`),
    broker_configs: related(`${base}/broker-configs`),
    consumer_groups: related(`${base}/consumer-groups`),
    topics: related(`${base}/topics`),
    partition_reassignments: related(`${base}/topics/-/partitions/-/reassignment`),
  });
}

function brokerJson(c: Context, deps: HttpDeps) {
  const id = deps.logs.clusterId;
  const base = clusterBase(c, id);
  const node = deps.kafkaNode;
  return resource("KafkaBroker", `${base}/brokers/${node.nodeId}`, `crn:///kafka=${id}/broker=${node.nodeId}`, {
    cluster_id: id, broker_id: node.nodeId, host: node.host, port: node.port, rack: null,
    configs: related(`${base}/brokers/${node.nodeId}/configs`),
    partition_replicas: related(`${base}/brokers/${node.nodeId}/partition-replicas`),
  });
}

function topicJson(c: Context, deps: HttpDeps, name: string) {
  const id = deps.logs.clusterId;
  const base = `${clusterBase(c, id)}/topics/${name}`;
  return resource("KafkaTopic", base, `crn:///kafka=${id}/topic=${name}`, {
    cluster_id: id, topic_name: name, is_internal: deps.logs.isInternalTopic(name), replication_factor: 1, partitions_count: deps.logs.partitionCount(name),
    partitions: related(`${base}/partitions`), configs: related(`${base}/configs`),
    partition_reassignments: related(`${base}/partitions/-/reassignment`), authorized_operations: [],
  });
}

function partitionJson(c: Context, deps: HttpDeps, topic: string, partition: number) {
  const id = deps.logs.clusterId;
  const base = `${clusterBase(c, id)}/topics/${topic}/partitions/${partition}`;
  return resource("KafkaPartition", base, `crn:///kafka=${id}/topic=${topic}/partition=${partition}`, {
    cluster_id: id, topic_name: topic, partition_id: partition,
    leader: related(`${base}/replicas/${deps.kafkaNode.nodeId}`), replicas: related(`${base}/replicas`), reassignment: related(`${base}/reassignment`),
  });
}

function configJson(c: Context, deps: HttpDeps, topic: string, setting: ReturnType<HttpDeps["logs"]["effectiveConfig"]>[number]) {
  const id = deps.logs.clusterId;
  const source = (s: string) => (s === "topic" ? "DYNAMIC_TOPIC_CONFIG" : s === "broker" ? "STATIC_BROKER_CONFIG" : "DEFAULT_CONFIG");
  return resource("KafkaTopicConfig", `${clusterBase(c, id)}/topics/${topic}/configs/${setting.name}`, `crn:///kafka=${id}/topic=${topic}/config=${setting.name}`, {
    cluster_id: id, topic_name: topic, name: setting.name, value: setting.value, is_default: setting.source === "default",
    is_read_only: false, is_sensitive: false, source: source(setting.source),
    synonyms: setting.synonyms.map((s) => ({ name: setting.name, value: s.value, source: source(s.source) })),
  });
}

function topicName(c: Context, deps: HttpDeps): string {
  const name = c.req.param("topic")!;
  if (!deps.logs.hasTopic(name)) throw new HttpError(404, 40403, `This server does not host this topic-partition.`);
  return name;
}

async function groupNames(deps: HttpDeps): Promise<string[]> {
  return [...new Set([...await deps.groupView.names(), ...await deps.logs.offsets.groups()])].sort();
}

async function groupJson(c: Context, deps: HttpDeps, name: string) {
  const id = deps.logs.clusterId;
  const base = `${clusterBase(c, id)}/consumer-groups/${name}`;
  const group = await deps.groupView.describe(name);
  return resource("KafkaConsumerGroup", base, `crn:///kafka=${id}/consumer-group=${name}`, {
    cluster_id: id, consumer_group_id: name, is_simple: !group || group.members.length === 0 && !group.protocolName,
    partition_assignor: group?.protocolName ?? "", state: (group?.state ?? "Empty").toUpperCase().replace("PREPARINGREBALANCE", "PREPARING_REBALANCE").replace("COMPLETINGREBALANCE", "COMPLETING_REBALANCE"),
    coordinator: related(`${clusterBase(c, id)}/brokers/${deps.kafkaNode.nodeId}`),
    consumers: related(`${base}/consumers`), lag_summary: related(`${base}/lag-summary`),
  });
}

/** Which member holds each partition, from the assignments the group's leader handed out. */
async function owners(deps: HttpDeps, name: string): Promise<Map<string, { consumerId: string; instanceId: string | null; clientId: string }>> {
  const out = new Map<string, { consumerId: string; instanceId: string | null; clientId: string }>();
  const group = await deps.groupView.describe(name);
  for (const m of group?.members ?? []) {
    for (const [topic, partitions] of decodeAssignment(m.assignment)) {
      for (const p of partitions) out.set(`${topic}/${p}`, { consumerId: m.memberId, instanceId: m.groupInstanceId, clientId: m.clientId });
    }
  }
  return out;
}

async function lagsOf(c: Context, deps: HttpDeps, name: string) {
  const id = deps.logs.clusterId;
  const holders = await owners(deps, name);
  return (await groupLag(deps.logs, name)).filter((l) => l.high_watermark >= 0).map((l) => {
    const holder = holders.get(`${l.topic}/${l.partition}`);
    return resource("KafkaConsumerLag", `${clusterBase(c, id)}/consumer-groups/${name}/lags/${l.topic}/partitions/${l.partition}`,
      `crn:///kafka=${id}/consumer-group=${name}/lag=${l.topic}/partition=${l.partition}`, {
        cluster_id: id, consumer_group_id: name, topic_name: l.topic, partition_id: l.partition,
        current_offset: l.committed, log_end_offset: l.high_watermark, lag: l.lag,
        consumer_id: holder?.consumerId ?? "", instance_id: holder?.instanceId ?? null, client_id: holder?.clientId ?? "",
      });
  });
}

async function knownGroup(deps: HttpDeps, name: string): Promise<void> {
  if (!(await groupNames(deps)).includes(name)) throw new HttpError(404, 404, `Consumer group ${name} cannot be found.`);
}

export function registerV3Routes(app: Hono, deps: HttpDeps): void {
  app.get("/v3/clusters", doc({ tags: ["REST Proxy v3"], summary: "the cluster (one: this broker)", responses: { 200: api.V3List } }), (c) => c.json(list("KafkaClusterList", `${new URL(c.req.url).origin}/v3/clusters`, [clusterJson(c, deps)])));
  app.get("/v3/clusters/:cluster", doc({ tags: ["REST Proxy v3"], summary: "the cluster with links to its resources", responses: { 200: api.V3Resource } }), (c) => {
    checkCluster(c, deps);
    return c.json(clusterJson(c, deps));
  });

  app.get("/v3/clusters/:cluster/brokers", doc({ tags: ["REST Proxy v3"], summary: "brokers", responses: { 200: api.V3List } }), (c) => c.json(list("KafkaBrokerList", `${clusterBase(c, checkCluster(c, deps))}/brokers`, [brokerJson(c, deps)])));
  app.get("/v3/clusters/:cluster/brokers/:broker", doc({ tags: ["REST Proxy v3"], summary: "a broker", responses: { 200: api.V3Resource } }), (c) => {
    checkCluster(c, deps);
    if (c.req.param("broker") !== String(deps.kafkaNode.nodeId)) throw new HttpError(404, 404, `Broker ${c.req.param("broker")} cannot be found.`);
    return c.json(brokerJson(c, deps));
  });

  app.get("/v3/clusters/:cluster/topics", doc({ tags: ["REST Proxy v3"], summary: "topics", responses: { 200: api.V3List } }), (c) => {
    const id = checkCluster(c, deps);
    return c.json(list("KafkaTopicList", `${clusterBase(c, id)}/topics`, deps.logs.listTopics().filter((t) => deps.access.may(c, Operation.DESCRIBE, ResourceType.TOPIC, t.name)).map((t) => topicJson(c, deps, t.name))));
  });
  app.post("/v3/clusters/:cluster/topics", doc({ tags: ["REST Proxy v3"], summary: "create a topic", body: api.V3TopicCreate, responses: { 201: api.V3Resource } }), async (c) => {
    checkCluster(c, deps);
    const body = checked(api.V3TopicCreate, await bodyJson(c, deps), 400, 400);
    requireCreate(c, deps, body.topic_name);
    const partitions = body.partitions_count === undefined ? undefined : Number(body.partitions_count);
    if (body.replication_factor !== undefined && body.replication_factor !== 1 && body.replication_factor !== -1) {
      throw new HttpError(400, 40002, `Replication factor: ${String(body.replication_factor)} larger than available brokers: 1.`);
    }
    const configs: Record<string, string> = {};
    for (const entry of body.configs ?? []) configs[entry.name] = entry.value;
    try {
      await deps.logs.createTopic(body.topic_name, { partitions, configs });
      logAdminChange(httpActor(c), "topic.create", `created topic ${body.topic_name}`, { topic: body.topic_name, partitions, configs });
    } catch (err) {
      if (err instanceof TopicExistsError) throw new HttpError(400, 40002, `Topic '${body.topic_name}' already exists.`);
      throw err;
    }
    return c.json(topicJson(c, deps, body.topic_name), 201);
  });
  app.get("/v3/clusters/:cluster/topics/:topic", doc({ tags: ["REST Proxy v3"], summary: "a topic", responses: { 200: api.V3Resource } }), (c) => {
    checkCluster(c, deps);
    return c.json(topicJson(c, deps, topicName(c, deps)));
  });
  app.delete("/v3/clusters/:cluster/topics/:topic", doc({ tags: ["REST Proxy v3"], summary: "delete a topic", responses: Done }), async (c) => {
    checkCluster(c, deps);
    const doomed = topicName(c, deps);
    await deps.logs.deleteTopic(doomed);
    logAdminChange(httpActor(c), "topic.delete", `deleted topic ${doomed}`, { topic: doomed });
    return c.body(null, 204);
  });

  app.get("/v3/clusters/:cluster/topics/:topic/partitions", doc({ tags: ["REST Proxy v3"], summary: "a topic's partitions", responses: { 200: api.V3List } }), (c) => {
    const id = checkCluster(c, deps);
    const topic = topicName(c, deps);
    const count = deps.logs.partitionCount(topic);
    return c.json(list("KafkaPartitionList", `${clusterBase(c, id)}/topics/${topic}/partitions`, Array.from({ length: count }, (_, p) => partitionJson(c, deps, topic, p))));
  });
  app.get("/v3/clusters/:cluster/topics/:topic/partitions/:partition", doc({ tags: ["REST Proxy v3"], summary: "a partition", responses: { 200: api.V3Resource } }), (c) => {
    checkCluster(c, deps);
    const topic = topicName(c, deps);
    const partition = Number(c.req.param("partition"));
    if (!Number.isInteger(partition) || partition < 0 || partition >= deps.logs.partitionCount(topic)) throw new HttpError(404, 40403, "This server does not host this topic-partition.");
    return c.json(partitionJson(c, deps, topic, partition));
  });

  app.get("/v3/clusters/:cluster/topics/:topic/configs", doc({ tags: ["REST Proxy v3"], summary: "a topic's configs with sources and synonyms", responses: { 200: api.V3List } }), (c) => {
    const id = checkCluster(c, deps);
    const topic = topicName(c, deps);
    return c.json(list("KafkaTopicConfigList", `${clusterBase(c, id)}/topics/${topic}/configs`, deps.logs.effectiveConfig(topic).map((s) => configJson(c, deps, topic, s))));
  });
  const oneConfig = (c: Context) => {
    const topic = topicName(c, deps);
    const setting = deps.logs.effectiveConfig(topic).find((s) => s.name === c.req.param("name"));
    if (!setting) throw new HttpError(404, 404, `Config ${c.req.param("name")} cannot be found for topic ${topic}.`);
    return { topic, setting };
  };
  app.get("/v3/clusters/:cluster/topics/:topic/configs/:name", doc({ tags: ["REST Proxy v3"], summary: "one config", responses: { 200: api.V3Resource } }), (c) => {
    checkCluster(c, deps);
    const { topic, setting } = oneConfig(c);
    return c.json(configJson(c, deps, topic, setting));
  });
  app.put("/v3/clusters/:cluster/topics/:topic/configs/:name", doc({ tags: ["REST Proxy v3"], summary: "set one config", body: api.V3ConfigSet, responses: Done }), async (c) => {
    checkCluster(c, deps);
    const { topic, setting } = oneConfig(c);
    const body = checked(api.V3ConfigSet, await bodyJson(c, deps), 400, 400);
    await deps.logs.alterTopicConfig(topic, { set: { [setting.name]: body.value } });
    logAdminChange(httpActor(c), "topic.alter_configs", `changed the configs of topic ${topic}`, { topic, configs: { [setting.name]: body.value } });
    return c.body(null, 204);
  });
  app.delete("/v3/clusters/:cluster/topics/:topic/configs/:name", doc({ tags: ["REST Proxy v3"], summary: "reset one config to its default", responses: Done }), async (c) => {
    checkCluster(c, deps);
    const { topic, setting } = oneConfig(c);
    await deps.logs.alterTopicConfig(topic, { remove: [setting.name] });
    logAdminChange(httpActor(c), "topic.alter_configs", `changed the configs of topic ${topic}`, { topic, configs: { [setting.name]: null } });
    return c.body(null, 204);
  });
  // POST …/topics/{t}/configs:alter and …/topics/{t}/records share one route: a
  // path segment with a colon in it cannot be spelled as a route of its own.
  app.post("/v3/clusters/:cluster/topics/:topic/:action", doc({
    tags: ["REST Proxy v3"], summary: "action 'records': produce one record, or many streamed (one answer line each); action 'configs:alter': set and delete configs at once",
    body: api.V3ActionBody, responses: { 200: api.V3ProduceAnswer, 204: { description: "configs altered" } },
  }), async (c) => {
    checkCluster(c, deps);
    const action = c.req.param("action");
    if (action === "records") return produceV3(c, deps);
    if (action !== "configs:alter") throw new HttpError(404, 404, `no route for POST ${c.req.path}`);
    const topic = topicName(c, deps);
    const body = checked(api.V3ConfigsAlter, await bodyJson(c, deps), 400, 400);
    const set: Record<string, string> = {};
    const remove: string[] = [];
    for (const entry of body.data as { name?: unknown; value?: unknown; operation?: unknown }[]) {
      if (typeof entry?.name !== "string") throw new HttpError(400, 400, "each entry needs a name");
      const operation = String(entry.operation ?? "SET").toUpperCase();
      if (operation === "DELETE") remove.push(entry.name);
      else if (operation === "SET" && typeof entry.value === "string") set[entry.name] = entry.value;
      else throw new HttpError(400, 400, `config ${entry.name}: operation ${operation} needs a string value (SET) or none (DELETE)`);
    }
    await deps.logs.alterTopicConfig(topic, { set, remove });
    logAdminChange(httpActor(c), "topic.alter_configs", `changed the configs of topic ${topic}`, { topic, configs: { ...set, ...Object.fromEntries(remove.map((k) => [k, null])) } });
    return c.body(null, 204);
  });

  app.get("/v3/clusters/:cluster/consumer-groups", doc({ tags: ["REST Proxy v3"], summary: "consumer groups", responses: { 200: api.V3List } }), async (c) => {
    const id = checkCluster(c, deps);
    return c.json(list("KafkaConsumerGroupList", `${clusterBase(c, id)}/consumer-groups`, await Promise.all((await groupNames(deps)).filter((g) => deps.access.may(c, Operation.DESCRIBE, ResourceType.GROUP, g)).map((g) => groupJson(c, deps, g)))));
  });
  app.get("/v3/clusters/:cluster/consumer-groups/:group", doc({ tags: ["REST Proxy v3"], summary: "a consumer group", responses: { 200: api.V3Resource } }), async (c) => {
    checkCluster(c, deps);
    await knownGroup(deps, c.req.param("group"));
    return c.json(await groupJson(c, deps, c.req.param("group")));
  });
  app.get("/v3/clusters/:cluster/consumer-groups/:group/consumers", doc({ tags: ["REST Proxy v3"], summary: "a group's consumers", responses: { 200: api.V3List } }), async (c) => {
    const id = checkCluster(c, deps);
    const name = c.req.param("group");
    await knownGroup(deps, name);
    const base = `${clusterBase(c, id)}/consumer-groups/${name}/consumers`;
    const members = (await deps.groupView.describe(name))?.members ?? [];
    return c.json(list("KafkaConsumerList", base, members.map((m) => resource("KafkaConsumer", `${base}/${m.memberId}`, `crn:///kafka=${id}/consumer-group=${name}/consumer=${m.memberId}`, {
      cluster_id: id, consumer_group_id: name, consumer_id: m.memberId, instance_id: m.groupInstanceId, client_id: m.clientId,
      assignments: related(`${base}/${m.memberId}/assignments`),
    }))));
  });
  app.get("/v3/clusters/:cluster/consumer-groups/:group/lags", doc({ tags: ["REST Proxy v3"], summary: "lag per partition, with the consumer holding it", responses: { 200: api.V3List } }), async (c) => {
    const id = checkCluster(c, deps);
    const name = c.req.param("group");
    await knownGroup(deps, name);
    return c.json(list("KafkaConsumerLagList", `${clusterBase(c, id)}/consumer-groups/${name}/lags`, await lagsOf(c, deps, name)));
  });
  app.get("/v3/clusters/:cluster/consumer-groups/:group/lag-summary", doc({ tags: ["REST Proxy v3"], summary: "total and largest lag", responses: { 200: api.V3Resource } }), async (c) => {
    const id = checkCluster(c, deps);
    const name = c.req.param("group");
    await knownGroup(deps, name);
    const lags = await lagsOf(c, deps, name);
    const max = lags.reduce<(typeof lags)[number] | undefined>((m, l) => (!m || l.lag > m.lag ? l : m), undefined);
    const base = `${clusterBase(c, id)}/consumer-groups/${name}`;
    return c.json(resource("KafkaConsumerGroupLagSummary", `${base}/lag-summary`, `crn:///kafka=${id}/consumer-group=${name}/lag-summary`, {
      cluster_id: id, consumer_group_id: name,
      max_lag_consumer_id: max?.consumer_id ?? "", max_lag_instance_id: max?.instance_id ?? null, max_lag_client_id: max?.client_id ?? "",
      max_lag_topic_name: max?.topic_name ?? "", max_lag_partition_id: max?.partition_id ?? 0,
      max_lag: max?.lag ?? 0, total_lag: lags.reduce((sum, l) => sum + l.lag, 0),
      max_lag_consumer: related(`${base}/consumers/${max?.consumer_id ?? ""}`),
      max_lag_partition: related(`${clusterBase(c, id)}/topics/${max?.topic_name ?? ""}/partitions/${max?.partition_id ?? 0}`),
    }));
  });
}
