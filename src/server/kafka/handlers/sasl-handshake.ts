// SaslHandshake, versions 0-1: the client names its mechanism. v0 is followed
// by bare tokens (size-prefixed, no request header), which the listener hands
// to the exchange; v1 by SaslAuthenticate requests. An authenticated
// connection may hand-shake again to re-authenticate (KIP-368). Without SASL
// on the listener every mechanism is UNSUPPORTED_SASL_MECHANISM, with an
// empty list.

import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";

export const saslHandshake: Handler<"SaslHandshake"> = (ctx, request, info) => {
  const mechanisms = [...ctx.auth.options.mechanisms];
  const exchange = ctx.auth.saslExchange(request.mechanism, info.client);
  if (!exchange) {
    ctx.auth.failed(request.mechanism, info.client, "", `mechanism ${request.mechanism} is not enabled (${mechanisms.join(", ") || "SASL is off"})`);
    return { errorCode: E.UNSUPPORTED_SASL_MECHANISM, mechanisms };
  }
  if (info.session.exchange) return { errorCode: E.ILLEGAL_SASL_STATE, mechanisms };
  info.session.exchange = exchange;
  info.session.rawTokens = info.header.apiVersion === 0;
  return { errorCode: 0, mechanisms };
};
