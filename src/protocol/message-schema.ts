// The shape of a Kafka message definition once generated into data
// (scripts/generate-protocol.mjs). Version ranges are [min, max], inclusive.

export type VersionRange = [number, number] | null;

export interface FieldSchema {
  /** camelCase name, as the decoded object carries it. */
  name: string;
  /** bool int8 int16 uint16 int32 int64 float64 string bytes records uuid, a struct name, or []T. */
  type: string;
  versions: VersionRange;
  nullable?: VersionRange;
  tagged?: VersionRange;
  tag?: number;
  /** A field-level override of the message's flexible versions (e.g. ClientId in the request header). */
  flexible?: VersionRange;
  default?: string;
  /** Fields of a struct, or of the elements of an array of structs. */
  fields?: FieldSchema[];
}

export interface MessageSchema {
  name: string;
  apiKey: number;
  validVersions: VersionRange;
  flexibleVersions: VersionRange;
  fields: FieldSchema[];
}

export function inRange(range: VersionRange | undefined, version: number): boolean {
  return !!range && version >= range[0] && version <= range[1];
}
