// References for bench/kafka-bench.ts, each in its own process as the broker is.
// Default: accepts one connection, discards what it reads, answers the byte count at the end.
// `canned`: answers every 12-byte request frame with the same 1 MiB response frame.
import * as net from "node:net";

const MiB = 1024 * 1024;
const canned = process.argv[2] === "canned";
const response = Buffer.alloc(4 + MiB, 1);
response.writeInt32BE(MiB, 0);

const server = net.createServer((socket) => {
  let bytes = 0;
  socket.on("data", (d) => {
    bytes += d.length;
    if (!canned) return;
    for (; bytes >= 12; bytes -= 12) socket.write(response);
  });
  socket.on("end", () => {
    socket.end(String(bytes));
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
