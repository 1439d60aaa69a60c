// An ObjectStore in memory, for tests of what sits on the archive without S3.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import type { ObjectStore } from "../../src/archive/object-store.js";

export class MemoryObjectStore implements ObjectStore {
  readonly description = "memory://archive";
  readonly objects = new Map<string, Buffer>();

  async check(): Promise<void> {}

  async putFile(key: string, path: string, _size: number, md5: string): Promise<void> {
    const bytes = fs.readFileSync(path);
    if (createHash("md5").update(bytes).digest("base64") !== md5) throw new Error(`${key}: MD5 does not match`);
    this.objects.set(key, bytes);
  }

  async putBytes(key: string, body: Buffer): Promise<void> {
    this.objects.set(key, Buffer.from(body));
  }

  async getBytes(key: string): Promise<Buffer | undefined> {
    return this.objects.get(key);
  }

  async getRange(key: string, start: number, end: number): Promise<Buffer | undefined> {
    return this.objects.get(key)?.subarray(start, end);
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) this.objects.delete(key);
  }
}
