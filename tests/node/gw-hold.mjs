// gw-hold.mjs URL KEY N - holds N sockets open on the gateway (half over
// WebSocket, half polling+upgrade) for the shutdown test of
// tests/suites/40-gateway.sh: prints "connected N" once they all are, then
// "disconnected N <reasons>" once the server has closed every one, and exits
// (status 1 after 10 s if that never happens).
import { io } from "socket.io-client";

const [url, key, nArg] = process.argv.slice(2);
const n = Number(nArg || 4);
const reasons = [];
let connected = 0;
const sockets = [];

setTimeout(() => {
  console.log(`timeout: ${connected} connected, ${reasons.length} disconnected`);
  process.exit(1);
}, 10000).unref();

for (let i = 0; i < n; i++) {
  const s = io(url, {
    ...(i % 2 ? {} : { transports: ["websocket"] }),
    query: { apiKey: key }, forceNew: true, reconnection: false,
  });
  sockets.push(s);
  s.on("connect", () => {
    if (++connected === n) console.log(`connected ${n}`);
  });
  s.on("connect_error", (e) => {
    console.log(`connect_error ${e.message}`);
    process.exit(1);
  });
  s.on("disconnect", (reason) => {
    reasons.push(reason);
    if (reasons.length === n) {
      console.log(`disconnected ${n} ${[...new Set(reasons)].join(",")}`);
      process.exit(0);
    }
  });
}
