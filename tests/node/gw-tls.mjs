// gw-tls.mjs URL KEY - one connection per transport to a gateway serving
// TLS (a self-signed certificate: not verified), one write each, acked.
// Prints "ok <transport>" per success; exits non-zero on any failure.
import { io } from "socket.io-client";

const [url, key] = process.argv.slice(2);
const timer = setTimeout(() => { console.log("timeout"); process.exit(1); }, 15000);
for (const [name, opts] of [["websocket", { transports: ["websocket"] }], ["polling+upgrade", {}]]) {
  const s = io(url, { ...opts, query: { apiKey: key }, rejectUnauthorized: false, forceNew: true,
    reconnection: false });
  await new Promise((resolve, reject) => { s.on("connect", resolve); s.on("connect_error", reject); });
  const r = await s.timeout(5000).emitWithAck("modified-file", { path: `tls/${name}.md`, content: name });
  if (!r.success) { console.log(`${name}: ${JSON.stringify(r)}`); process.exit(1); }
  console.log(`ok ${name}`);
  s.close();
}
clearTimeout(timer);
