// Reference for bench/kafka-bench.ts: the least a broker must do for an acks=-1
// produce, in its own process as the broker is. It reads size-prefixed request
// frames, writes each frame's bytes durably with the same group-commit policy
// as the engine (one O_DSYNC writev of what is queued per round, two rounds in
// flight, a round at once when 256 KiB wait, else on the next turn of the
// event loop), and answers each with a canned Produce v9 response carrying the
// request's correlation id. No decoding, no validation, no offsets, no index.
// Prints its port, then serves until killed; files go in the directory given.

import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { encodeResponse } from "../src/protocol/kafka-frame.js";

const dir = process.argv[2]!;
const ROUND_EAGER_BYTES = 256 * 1024;
const ROUNDS_IN_FLIGHT_MAX = 2;

const response = encodeResponse(0, 9, 0, {
  responses: [{ name: "bare", partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null }] }],
  throttleTimeMs: 0,
});
const CORRELATION_ID = 4;

let files = 0;

function serve(socket: net.Socket): void {
  socket.setNoDelay(true);
  const fd = fs.openSync(path.join(dir, `bare-${files++}.bin`), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_DSYNC);
  let buffered: Buffer = Buffer.alloc(0);
  let queued: Buffer[] = [];
  let queuedBytes = 0;
  let answers: number[] = [];
  let inFlight = 0;
  let position = 0;
  let scheduled = false;
  const startRound = () => {
    if (answers.length === 0) return;
    const frames = queued;
    const correlations = answers;
    const at = position;
    position += queuedBytes;
    queued = [];
    queuedBytes = 0;
    answers = [];
    inFlight++;
    fs.writev(fd, frames, at, (err) => {
      if (err) throw err;
      inFlight--;
      for (const id of correlations) {
        const answer = Buffer.from(response);
        answer.writeInt32BE(id, CORRELATION_ID);
        socket.write(answer);
      }
      schedule();
    });
  };
  const schedule = () => {
    if (inFlight >= ROUNDS_IN_FLIGHT_MAX || answers.length === 0) return;
    if (queuedBytes >= ROUND_EAGER_BYTES) return startRound();
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (inFlight < ROUNDS_IN_FLIGHT_MAX) startRound();
    });
  };
  socket.on("data", (d: Buffer) => {
    buffered = buffered.length ? Buffer.concat([buffered, d]) : d;
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const size = buffered.readInt32BE(0);
      const frame = buffered.subarray(0, 4 + size);
      buffered = buffered.subarray(4 + size);
      queued.push(frame);
      queuedBytes += frame.length;
      answers.push(frame.readInt32BE(8));
      schedule();
    }
  });
  socket.on("close", () => fs.closeSync(fd));
  socket.on("error", () => socket.destroy());
}

const server = net.createServer(serve);
server.listen(0, "127.0.0.1", () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
