// SaslAuthenticate, versions 0-2: one step of the exchange begun by
// SaslHandshake v1. A refusal is SASL_AUTHENTICATION_FAILED with Kafka's
// message, and the connection closes once it is sent. v1+ tells the client
// how long its session lasts (connections.max.reauth.ms), after which it
// must re-authenticate or be disconnected; re-authentication must name the
// same principal.

import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { AuthenticationError, LockedOutError } from "../../../security/authentication.js";

export const saslAuthenticate: Handler<"SaslAuthenticate"> = async (ctx, request, info) => {
  const session = info.session;
  const exchange = session.exchange;
  const refuse = (errorCode: number, errorMessage: string) => {
    session.closeAfterAnswer = errorMessage;
    return { errorCode, errorMessage, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
  };
  if (!exchange || session.rawTokens) return refuse(E.ILLEGAL_SASL_STATE, "SaslAuthenticate without a SaslHandshake v1 before it");
  try {
    const { reply, principal } = await exchange.step(request.authBytes);
    if (!principal) return { errorCode: 0, errorMessage: null, authBytes: reply, sessionLifetimeMs: 0n };
    session.exchange = undefined;
    if (session.authenticated && session.expiresAtMs !== Infinity && principal !== session.principal) {
      return refuse(E.ILLEGAL_SASL_STATE, `re-authentication as ${principal} on a connection of ${session.principal}`);
    }
    const reauthMs = ctx.auth.options.reauthMs;
    Object.assign(session, { principal, authenticated: true, expiresAtMs: reauthMs > 0 ? Date.now() + reauthMs : Infinity });
    return { errorCode: 0, errorMessage: null, authBytes: reply, sessionLifetimeMs: BigInt(reauthMs) };
  } catch (err) {
    session.exchange = undefined;
    if (!(err instanceof AuthenticationError)) throw err;
    const locked = err instanceof LockedOutError;
    // A locked-out attempt is not counted again: the lockout ends a minute after the failures that caused it.
    if (!locked) ctx.auth.failed(exchange.mechanism, info.client, exchange.userName, err.message);
    await ctx.auth.failureDelay();
    return refuse(E.SASL_AUTHENTICATION_FAILED, locked ? err.message : `Authentication failed during authentication due to invalid credentials with SASL mechanism ${exchange.mechanism}`);
  }
};
