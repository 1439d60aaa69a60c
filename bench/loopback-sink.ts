// Reference for bench/kafka-bench.ts: accepts one connection and discards what it reads.
import * as net from "node:net";

const server = net.createServer((socket) => {
  let bytes = 0;
  socket.on("data", (d) => (bytes += d.length));
  socket.on("end", () => {
    socket.end(String(bytes));
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
