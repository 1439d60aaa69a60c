import type { Handler, KafkaContext } from "../kafka-context.js";
import type { Message } from "../../../protocol/message-codec.js";
import { validateOverrides, type ConfigType, type EffectiveSetting } from "../../../log/topic-config.js";
import { InvalidTopicError, InvalidConfigError, LogError } from "../../../log/errors.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";

const TOPIC = 2;
const BROKER = 4;
// Kafka's ConfigSource and ConfigType values.
const SOURCE = { topic: 1, broker: 4, default: 5 } as const;
const TYPE: Record<ConfigType, number> = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, DOUBLE: 6, LIST: 7 };

/** A config as DescribeConfigs reports it: a topic's effective settings, or the broker's own. */
type DescribedConfig = EffectiveSetting;

/** A topic's configs as CreateTopics (v5+) and DescribeConfigs report them. */
export function describeTopicConfigs(ctx: KafkaContext, topic: string): { name: string; value: string; configSource: number }[] {
  return ctx.logs.effectiveConfig(topic).map((c) => ({ name: c.name, value: c.value, configSource: SOURCE[c.source] }));
}

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

class UnsupportedResourceError extends LogError {
  constructor(type: number) {
    super("invalid_request", E.INVALID_REQUEST, `config resource type ${type} is not supported (topics: 2, brokers: 4)`);
  }
}

/** The configs asked for, in the order asked (all of them, by name, when none are named); unknown names are left out, as in Kafka. */
function selected(configs: DescribedConfig[], keys: string[] | null): DescribedConfig[] {
  if (!keys) return configs;
  const byName = new Map(configs.map((c) => [c.name, c]));
  return keys.flatMap((k) => byName.get(k) ?? []);
}

export const describeConfigs: Handler = (ctx, request) => ({
  throttleTimeMs: 0,
  results: (request.resources as Message[]).map((r) => {
    try {
      let configs: DescribedConfig[];
      if (r.resourceType === TOPIC) configs = ctx.logs.effectiveConfig(r.resourceName);
      else if (r.resourceType === BROKER) configs = brokerConfigs(ctx);
      else throw new UnsupportedResourceError(r.resourceType);
      return {
        errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName,
        configs: selected(configs, r.configurationKeys as string[] | null).map((c) => ({
          name: c.name, value: c.value, readOnly: r.resourceType === BROKER, isDefault: c.source === "default",
          configSource: SOURCE[c.source], isSensitive: false,
          synonyms: request.includeSynonyms ? c.synonyms.map((s) => ({ name: c.name, value: s.value, source: SOURCE[s.source] })) : [],
          configType: TYPE[c.type], documentation: request.includeDocumentation ? c.doc : null,
        })),
      };
    } catch (err) {
      return { errorCode: errorCodeOf(err, "describe configs"), errorMessage: errorMessageOf(err), resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
    }
  }),
});

async function alterTopic(ctx: KafkaContext, r: Message, validateOnly: boolean, incremental: boolean): Promise<void> {
  if (r.resourceType !== TOPIC) throw new UnsupportedResourceError(r.resourceType);
  const current = (await ctx.logs.describeTopic(r.resourceName)).configs;
  const set: Record<string, string> = {};
  const remove: string[] = [];
  if (!incremental) {
    // AlterConfigs replaces every override of the resource.
    for (const c of r.configs as Message[]) {
      if (c.value === null) throw new InvalidConfigError(`config ${c.name} has a null value`);
      set[c.name] = c.value;
    }
    for (const key of Object.keys(current)) if (!(key in set)) remove.push(key);
  } else {
    for (const c of r.configs as Message[]) {
      if (c.configOperation === 0) {
        if (c.value === null) throw new InvalidConfigError(`config ${c.name} has a null value`);
        set[c.name] = c.value;
      } else if (c.configOperation === 1) remove.push(c.name);
      else throw new InvalidConfigError(`config operation ${c.configOperation} (APPEND/SUBTRACT) applies to list configs; none of the topic configs is a list`);
    }
  }
  validateOverrides(set);
  if (ctx.logs.isInternalTopic(r.resourceName)) throw new InvalidTopicError(`'${r.resourceName}' is an internal topic; its configs are fixed`);
  if (!validateOnly) await ctx.logs.alterTopicConfig(r.resourceName, { set, remove });
}

function alterHandler(incremental: boolean): Handler {
  return async (ctx, request) => {
    const responses = [];
    for (const r of request.resources as Message[]) {
      try {
        await alterTopic(ctx, r, request.validateOnly, incremental);
        responses.push({ errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName });
      } catch (err) {
        responses.push({ errorCode: errorCodeOf(err, "alter configs"), errorMessage: errorMessageOf(err), resourceType: r.resourceType, resourceName: r.resourceName });
      }
    }
    return { throttleTimeMs: 0, responses };
  };
}

export const alterConfigs = alterHandler(false);
export const incrementalAlterConfigs = alterHandler(true);
