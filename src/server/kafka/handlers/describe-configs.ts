// DescribeConfigs, versions 0-4: every Kafka 3.9 topic config (value,
// source, type, synonyms, documentation), in the order asked, and a few
// read-only broker configs. Differs from Kafka: a broker resource reports
// only the broker settings clients look for (auto.create.topics.enable,
// broker.id, default.replication.factor, num.partitions).

import type { Handler, KafkaContext } from "../kafka-context.js";
import type { ConfigType, EffectiveSetting } from "../../../log/topic-config.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";
import { BROKER_RESOURCE, CONFIG_SOURCE, CONFIG_TYPE, TOPIC_RESOURCE, UnsupportedResourceError } from "./topic-configs.js";
import { Operation, requireCluster, requireTopic } from "./authorize.js";

/** A config as DescribeConfigs reports it: a topic's effective settings, or the broker's own. */
type DescribedConfig = EffectiveSetting;

function brokerConfigs(ctx: KafkaContext): DescribedConfig[] {
  const config = (name: string, value: string, type: ConfigType, doc: string): DescribedConfig =>
    ({ name, value, source: "broker", type, doc, synonyms: [{ value, source: "broker" }] });
  return [
    config("auto.create.topics.enable", String(ctx.autoCreateTopics), "BOOLEAN", "create unknown topics on Metadata requests"),
    config("broker.id", String(ctx.nodeId), "INT", "this broker's node id"),
    config("default.replication.factor", "1", "INT", "a single broker keeps one replica"),
    config("num.partitions", String(ctx.defaultPartitions), "INT", "partitions of auto-created topics"),
  ];
}

/** The configs asked for, in the order asked (all of them, by name, when none are named); unknown names are left out, as in Kafka. */
function selected(configs: DescribedConfig[], keys: string[] | null): DescribedConfig[] {
  if (!keys) return configs;
  const byName = new Map(configs.map((c) => [c.name, c]));
  return keys.flatMap((k) => byName.get(k) ?? []);
}

export const describeConfigs: Handler<"DescribeConfigs"> = (ctx, request, info) => ({
  throttleTimeMs: 0,
  results: request.resources.map((r) => {
    try {
      let configs: DescribedConfig[];
      if (r.resourceType === TOPIC_RESOURCE) requireTopic(ctx, info, Operation.DESCRIBE_CONFIGS, r.resourceName);
      if (r.resourceType === BROKER_RESOURCE) requireCluster(ctx, info, Operation.DESCRIBE_CONFIGS);
      if (r.resourceType === TOPIC_RESOURCE) configs = ctx.logs.effectiveConfig(r.resourceName);
      else if (r.resourceType === BROKER_RESOURCE) configs = brokerConfigs(ctx);
      else throw new UnsupportedResourceError(r.resourceType);
      return {
        errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName,
        configs: selected(configs, r.configurationKeys).map((c) => ({
          name: c.name, value: c.value, readOnly: r.resourceType === BROKER_RESOURCE, isDefault: c.source === "default",
          configSource: CONFIG_SOURCE[c.source], isSensitive: false,
          synonyms: request.includeSynonyms ? c.synonyms.map((s) => ({ name: c.name, value: s.value, source: CONFIG_SOURCE[s.source] })) : [],
          configType: CONFIG_TYPE[c.type], documentation: request.includeDocumentation ? c.doc : null,
        })),
      };
    } catch (err) {
      return { errorCode: errorCodeOf(err, "describe configs"), errorMessage: errorMessageOf(err), resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
    }
  }),
});
