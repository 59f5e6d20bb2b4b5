// fault-pipeline.mjs URL NAME - HTTP/1.1 requests pipelined on one
// connection against the Engine.IO polling endpoint (no key needed): POSTs
// to an unknown session, POSTs to a session of its own, GETs. After each
// burst the server must still answer a new handshake within 3 s (with lws
// 4.1, a request pipelined behind a POST body used to make the whole loop
// spin forever). Driven by tests/suites/72-faults-load.sh.
import net from 'node:net';
import { ok, run, sleep } from './fault-lib.mjs';

const url = new URL(process.argv[2]);
const name = process.argv[3] || 'server';
const port = Number(url.port);
const P = '/socket.io/?EIO=4&transport=polling';

function exchange(data, waitMs = 400) {
  return new Promise((resolve) => {
    const s = net.connect(port, url.hostname);
    let got = '';
    s.on('data', (d) => { got += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('connect', () => s.write(data));
    setTimeout(() => { s.destroy(); resolve(got); }, waitMs);
  });
}
// a new handshake on a new connection: the sid, or null when no answer in 3 s
async function handshake() {
  const got = await exchange(`GET ${P} HTTP/1.1\r\nHost: x\r\n\r\n`, 3000);
  const m = got.match(/"sid":"([^"]+)"/);
  return m ? m[1] : null;
}
const post = (sid, body) =>
  `POST ${P}&sid=${sid} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

run(async () => {
  ok(await handshake(), `${name}: answers a handshake`);
  await exchange(post('bogus', '42["a",1]').repeat(3));
  ok(await handshake(), `${name}: still answers after 3 POSTs to an unknown session pipelined on one connection`);
  const sid = await handshake();
  await exchange(post(sid, '40').repeat(3));
  ok(await handshake(), `${name}: still answers after 3 POSTs to a live session pipelined on one connection`);
  await exchange(`GET ${P}&sid=bogus HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(3));
  ok(await handshake(), `${name}: still answers after 3 pipelined GETs`);
  await sleep(10);
});
