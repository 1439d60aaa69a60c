// What the config handlers share: Kafka's ConfigSource and ConfigType
// numbers, a topic's configs as CreateTopics and DescribeConfigs report them,
// and the change of a topic's overrides that AlterConfigs (replace all) and
// IncrementalAlterConfigs (set and delete one at a time) both make.

import type { KafkaContext, RequestInfo } from "../kafka-context.js";
import { logAdminChange, type Actor } from "../../../ops/ops-log.js";
import { validateOverrides, type ConfigType } from "../../../log/topic-config.js";
import { InvalidConfigError, InvalidTopicError, LogError } from "../../../log/errors.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";
import { Operation, requireCluster, requireTopic } from "./authorize.js";

export const TOPIC_RESOURCE = 2;
export const BROKER_RESOURCE = 4;
export const CONFIG_SOURCE = { topic: 1, broker: 4, default: 5 } as const;
export const CONFIG_TYPE: Record<ConfigType, number> = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, DOUBLE: 6, LIST: 7 };
const SET = 0;
const DELETE = 1;

/** A topic's configs as CreateTopics (v5+) and DescribeConfigs report them. */
export function describeTopicConfigs(ctx: KafkaContext, topic: string): { name: string; value: string; configSource: number }[] {
  return ctx.logs.effectiveConfig(topic).map((c) => ({ name: c.name, value: c.value, configSource: CONFIG_SOURCE[c.source] }));
}

export class UnsupportedResourceError extends LogError {
  constructor(type: number) {
    super("invalid_request", E.INVALID_REQUEST, `config resource type ${type} is not supported (topics: 2, brokers: 4)`);
  }
}

export interface ConfigResource {
  resourceType: number;
  resourceName: string;
  configs: { name: string; value: string | null; configOperation?: number }[];
}

/** Changes a topic's overrides: all replaced (AlterConfigs) or set and deleted one by one (IncrementalAlterConfigs). */
export async function alterTopicConfigs(ctx: KafkaContext, r: ConfigResource, validateOnly: boolean, incremental: boolean): Promise<void> {
  if (r.resourceType !== TOPIC_RESOURCE) throw new UnsupportedResourceError(r.resourceType);
  const current = (await ctx.logs.describeTopic(r.resourceName)).configs;
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const c of r.configs) {
    const operation = incremental ? c.configOperation : SET;
    if (operation === SET) {
      if (c.value === null) throw new InvalidConfigError(`config ${c.name} has a null value`);
      set[c.name] = c.value;
    } else if (operation === DELETE) remove.push(c.name);
    else throw new InvalidConfigError(`config operation ${operation} (APPEND/SUBTRACT) applies to list configs; none of the topic configs is a list`);
  }
  // AlterConfigs replaces every override of the resource.
  if (!incremental) for (const key of Object.keys(current)) if (!(key in set)) remove.push(key);
  validateOverrides(set);
  if (ctx.logs.isInternalTopic(r.resourceName)) throw new InvalidTopicError(`'${r.resourceName}' is an internal topic; its configs are fixed`);
  if (!validateOnly) await ctx.logs.alterTopicConfig(r.resourceName, { set, remove });
}

/** Alters each resource in turn, answering each with its own error code. */
export async function alterEach(ctx: KafkaContext, info: RequestInfo, resources: ConfigResource[], validateOnly: boolean, incremental: boolean, actor: Actor):
  Promise<{ errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }[]> {
  const responses = [];
  for (const r of resources) {
    try {
      if (r.resourceType === TOPIC_RESOURCE) requireTopic(ctx, info, Operation.ALTER_CONFIGS, r.resourceName);
      else if (r.resourceType === BROKER_RESOURCE) requireCluster(ctx, info, Operation.ALTER_CONFIGS);
      await alterTopicConfigs(ctx, r, validateOnly, incremental);
      if (!validateOnly) {
        logAdminChange(actor, "topic.alter_configs", `changed the configs of topic ${r.resourceName}`,
          { topic: r.resourceName, configs: Object.fromEntries(r.configs.map((c) => [c.name, c.configOperation === 1 ? null : c.value])), replace_all: !incremental });
      }
      responses.push({ errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName });
    } catch (err) {
      responses.push({ errorCode: errorCodeOf(err, "alter configs"), errorMessage: errorMessageOf(err), resourceType: r.resourceType, resourceName: r.resourceName });
    }
  }
  return responses;
}
