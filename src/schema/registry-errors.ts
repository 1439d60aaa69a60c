// The schema registry's errors: an HTTP status and Confluent's error code with
// each, as Confluent's clients expect them.

export class RegistryError extends Error {
  constructor(readonly status: number, readonly errorCode: number, message: string, readonly details?: string[]) {
    super(message);
  }
}

export const SUBJECT_NOT_FOUND = 40401;
export const VERSION_NOT_FOUND = 40402;
export const SCHEMA_NOT_FOUND = 40403;
export const INVALID_SCHEMA = 42201;
export const INVALID_VERSION = 42202;
export const INVALID_COMPATIBILITY_LEVEL = 42203;
export const OPERATION_NOT_PERMITTED = 42205;
export const INVALID_MODE = 42204;
export const INCOMPATIBLE_SCHEMA = 409;
