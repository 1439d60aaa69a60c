/** Tributary's version: the CLI's --version, the OpenAPI document, ApiVersions' software name. Keep in step with package.json. */
export const VERSION = "0.1.0";
