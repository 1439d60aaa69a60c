// Where the archive keeps its objects. The archiver speaks only this
// interface; S3 (s3-store.ts) is one backend, and tests could add others, the
// way Litestream's replica clients are leaves under one interface.

export interface ObjectStore {
  /** What it is, for log lines and GET /archive (s3://bucket/prefix). */
  readonly description: string;
  /** Fails with a clear message when the store cannot be reached or used (bucket missing, credentials refused). */
  check(): Promise<void>;
  /** Uploads a file; the store verifies its MD5 (`md5` base64) and the upload fails when it does not match. */
  putFile(key: string, path: string, size: number, md5: string): Promise<void>;
  putBytes(key: string, body: Buffer): Promise<void>;
  /** The object's bytes, or undefined when there is none. */
  getBytes(key: string): Promise<Buffer | undefined>;
  /** Bytes [start, end) of the object (fewer at its end), or undefined when there is none. */
  getRange(key: string, start: number, end: number): Promise<Buffer | undefined>;
  /** Removes the objects; missing ones are no error. */
  delete(keys: string[]): Promise<void>;
}

/** A place in an object store: `s3://bucket/prefix`. */
export interface ArchiveLocation {
  bucket: string;
  /** No leading or trailing slash; "" for the bucket's root. */
  prefix: string;
}

export function parseArchiveUrl(url: string): ArchiveLocation {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) throw new Error(`archive '${url}' is not s3://BUCKET/PREFIX (a bucket name is 3 to 63 lowercase letters, digits, dots and dashes)`);
  return { bucket: match[1]!, prefix: (match[2] ?? "").replace(/^\/+|\/+$/g, "") };
}

/** The key of `name` under the location's prefix. */
export function objectKey(location: ArchiveLocation, ...parts: string[]): string {
  return [location.prefix, ...parts].filter(Boolean).join("/");
}
