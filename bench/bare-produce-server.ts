// Reference for bench/kafka-bench.ts: the least a broker must do for an acks=-1
// produce, in its own process as the broker is. It reads size-prefixed request
// frames, writes each frame's bytes with the engine's group-commit policy
// (bench/bare-group-commit.ts), and answers each with a canned Produce v9
// response carrying the request's correlation id. No decoding, no validation,
// no offsets, no index.
// Prints its port, then serves until killed; files go in the directory given.

import * as net from "node:net";
import * as path from "node:path";
import { encodeResponse } from "../src/protocol/kafka-frame.js";
import { BareGroupCommit } from "./bare-group-commit.js";

const dir = process.argv[2]!;
const response = encodeResponse(0, 9, 0, {
  responses: [{ name: "bare", partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null }] }],
  throttleTimeMs: 0,
});
const CORRELATION_ID = 4;

let files = 0;

function serve(socket: net.Socket): void {
  socket.setNoDelay(true);
  const commit = new BareGroupCommit(path.join(dir, `bare-${files++}.bin`));
  let buffered: Buffer = Buffer.alloc(0);
  // Answers go out in request order: each waits for its own write and the answer before it.
  let answered = Promise.resolve();
  socket.on("data", (d: Buffer) => {
    buffered = buffered.length ? Buffer.concat([buffered, d]) : d;
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const frame = buffered.subarray(0, 4 + buffered.readInt32BE(0));
      buffered = buffered.subarray(frame.length);
      const written = commit.write(frame);
      const correlationId = frame.readInt32BE(8);
      answered = Promise.all([answered, written]).then(() => {
        const answer = Buffer.from(response);
        answer.writeInt32BE(correlationId, CORRELATION_ID);
        socket.write(answer);
      });
    }
  });
  socket.on("close", () => void answered.then(() => commit.close()));
  socket.on("error", () => socket.destroy());
}

const server = net.createServer(serve);
server.listen(0, "127.0.0.1", () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
