// The archive's objects in S3, or any S3-compatible store (an endpoint URL
// turns on path-style addressing). Credentials and region come from the AWS
// SDK's standard chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
// profiles). Uploads carry Content-MD5, so the store refuses a body that
// arrived damaged, and the returned ETag is checked against it as well.

import * as fs from "node:fs";
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { objectKey, type ArchiveLocation, type ObjectStore } from "./object-store.js";

export class S3Store implements ObjectStore {
  private readonly client: S3Client;
  readonly description: string;

  constructor(private readonly location: ArchiveLocation, endpoint: string) {
    this.description = `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ""}${endpoint ? ` at ${endpoint}` : ""}`;
    this.client = new S3Client({
      endpoint: endpoint || undefined,
      forcePathStyle: endpoint !== "",
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
      // The archiver retries with its own backoff and reports every failure.
      maxAttempts: 1,
      // Checksums only where S3 requires them: S3-compatible stores differ in the newer ones.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  private key(key: string): string {
    return objectKey(this.location, key);
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket }));
    } catch (err) {
      // HeadBucket answers without a body: say what its status means.
      const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
      const why = status === 404 ? `bucket '${this.location.bucket}' does not exist` : status === 403 ? "access denied (check the credentials and the bucket's policy)" : describe(err);
      throw new Error(`archive ${this.description} cannot be used: ${why}`);
    }
  }

  async putFile(key: string, path: string, size: number, md5: string): Promise<void> {
    const answer = await this.client.send(new PutObjectCommand({
      Bucket: this.location.bucket, Key: this.key(key), Body: fs.createReadStream(path), ContentLength: size, ContentMD5: md5,
    })).catch((err: unknown) => {
      throw new Error(`uploading ${key} to ${this.description} failed: ${describe(err)}`);
    });
    const etag = answer.ETag?.replace(/"/g, "");
    const expected = Buffer.from(md5, "base64").toString("hex");
    if (etag && /^[0-9a-f]{32}$/.test(etag) && etag !== expected) throw new Error(`uploading ${key}: the store holds MD5 ${etag}, the file has ${expected}`);
  }

  async putBytes(key: string, body: Buffer): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.location.bucket, Key: this.key(key), Body: body, ContentLength: body.length })).catch((err: unknown) => {
      throw new Error(`writing ${key} to ${this.description} failed: ${describe(err)}`);
    });
  }

  getBytes(key: string): Promise<Buffer | undefined> {
    return this.get(key);
  }

  getRange(key: string, start: number, end: number): Promise<Buffer | undefined> {
    return this.get(key, `bytes=${start}-${end - 1}`);
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(key) })).catch((err: unknown) => {
        throw new Error(`deleting ${key} from ${this.description} failed: ${describe(err)}`);
      });
    }
  }

  private async get(key: string, range?: string): Promise<Buffer | undefined> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(key), Range: range }));
      return Buffer.from(await answer.Body!.transformToByteArray());
    } catch (err) {
      if (err instanceof S3ServiceException && (err.name === "NoSuchKey" || err.$metadata.httpStatusCode === 404)) return undefined;
      throw new Error(`reading ${key} from ${this.description} failed: ${describe(err)}`);
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof S3ServiceException) return `${err.name} (HTTP ${err.$metadata.httpStatusCode ?? "?"})${err.message && err.message !== err.name ? `: ${err.message}` : ""}`;
  return err instanceof Error ? err.message : String(err);
}
