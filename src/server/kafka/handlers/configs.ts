import type { Handler, KafkaContext } from "../kafka-context.js";
import type { Message } from "../../../protocol/message-codec.js";
import { TOPIC_SETTINGS, validateOverrides } from "../../../log/topic-config.js";
import { InvalidTopicError, InvalidConfigError, LogError } from "../../../log/errors.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";

const TOPIC = 2;
const BROKER = 4;
// Kafka's ConfigSource values.
const DYNAMIC_TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;
const STRING_TYPE = 2;

export function describeTopicConfigs(ctx: KafkaContext, topic: string): { name: string; value: string; configSource: number; doc: string }[] {
  const overrides = ctx.logs.describeTopic(topic).configs;
  return TOPIC_SETTINGS.map((s) => {
    const brokerDefault = ctx.logs.topicDefault(s.key);
    return {
      name: s.key,
      value: overrides[s.key] ?? brokerDefault ?? s.default,
      configSource: s.key in overrides ? DYNAMIC_TOPIC_CONFIG : brokerDefault !== undefined ? STATIC_BROKER_CONFIG : DEFAULT_CONFIG,
      doc: s.doc,
    };
  });
}

function brokerConfigs(ctx: KafkaContext): { name: string; value: string; configSource: number; doc: string }[] {
  return [
    { name: "auto.create.topics.enable", value: String(ctx.autoCreateTopics), configSource: STATIC_BROKER_CONFIG, doc: "create unknown topics on Metadata requests" },
    { name: "num.partitions", value: String(ctx.defaultPartitions), configSource: STATIC_BROKER_CONFIG, doc: "partitions of auto-created topics" },
    { name: "default.replication.factor", value: "1", configSource: STATIC_BROKER_CONFIG, doc: "a single broker keeps one replica" },
    { name: "broker.id", value: String(ctx.nodeId), configSource: STATIC_BROKER_CONFIG, doc: "this broker's node id" },
  ];
}

class UnsupportedResourceError extends LogError {
  constructor(type: number) {
    super("invalid_request", E.INVALID_REQUEST, `config resource type ${type} is not supported (topics: 2, brokers: 4)`);
  }
}

export const describeConfigs: Handler = (ctx, request) => ({
  throttleTimeMs: 0,
  results: (request.resources as Message[]).map((r) => {
    try {
      let configs;
      if (r.resourceType === TOPIC) configs = describeTopicConfigs(ctx, r.resourceName);
      else if (r.resourceType === BROKER) configs = brokerConfigs(ctx);
      else throw new UnsupportedResourceError(r.resourceType);
      const keys = r.configurationKeys as string[] | null;
      if (keys) configs = configs.filter((c) => keys.includes(c.name));
      return {
        errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName,
        configs: configs.map((c) => ({
          name: c.name, value: c.value, readOnly: r.resourceType === BROKER, isDefault: c.configSource === DEFAULT_CONFIG,
          configSource: c.configSource, isSensitive: false, synonyms: [], configType: STRING_TYPE,
          documentation: request.includeDocumentation ? c.doc : null,
        })),
      };
    } catch (err) {
      return { errorCode: errorCodeOf(err, "describe configs"), errorMessage: errorMessageOf(err), resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
    }
  }),
});

async function alterTopic(ctx: KafkaContext, r: Message, validateOnly: boolean, incremental: boolean): Promise<void> {
  if (r.resourceType !== TOPIC) throw new UnsupportedResourceError(r.resourceType);
  const current = ctx.logs.describeTopic(r.resourceName).configs;
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
