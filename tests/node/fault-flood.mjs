// fault-flood.mjs - 1,000 connections that open and never send a byte and
// 1,000 that send garbage, against one well-behaved client that keeps
// syncing. Driven by tests/suites/72-faults-load.sh.
//
// The flood runs in a child process (this file with argument "flood") so that
// the measuring client has an event loop of its own. Every flood connection
// the gateway closes is opened again after 100 ms, until the flood's deadline
// (bounded: at most RECONNECT_MAX re-openings in all). Garbage, 250
// connections of each kind, a new piece every 500 ms:
//   bytes    random binary bytes, no HTTP at all
//   http     malformed HTTP request lines and headers
//   ws       a valid WebSocket upgrade to /socket.io/ without a key, then
//            garbage frames: junk Engine.IO/Socket.IO packets, bad JSON, a
//            70 KiB message (over the 64 KiB pre-auth limit), binary frames
//   polling  Engine.IO polling requests with a bogus sid, a bad EIO version,
//            junk POST bodies
// Measured (asserted: p99 < 1 s): write->ack latency of modified-file from a
// socket.io-client, sequential, one write every 10 ms, before the flood
// (baseline) and with the whole flood open; also that a second client gets
// each write's broadcast.
// Environment: GW_URL, GW_PID, WKEY, RKEY, IDLE (1000), GARBAGE (1000),
// WRITES (300).
import fs from 'node:fs';
import net from 'node:net';
import crypto from 'node:crypto';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  connect, emitAck, note, now, ok, pct, r1, rssKb, run, sleep, until,
} from './fault-lib.mjs';

const GW = new URL(process.env.GW_URL || 'http://127.0.0.1:1');
const IDLE = Number(process.env.IDLE || 1000);
const GARBAGE = Number(process.env.GARBAGE || 1000);
const WRITES = Number(process.env.WRITES || 300);
const RECONNECT_MAX = 50000;

// ---------------------------------------------------------------- the flood
function wsFrame(opcode, payload) {
  const mask = crypto.randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len])
    : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 255])
      : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127, 0, 0, 0, 0]), (() => {
        const b = Buffer.alloc(4); b.writeUInt32BE(len); return b;
      })()]);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, body]);
}
const junkPackets = ['4garbage', '42[bad json', '40{"apiKey":', '2', '9', '5', '6', '42["modified-file",{"path":"x","content":"y"}]',
  '451-["x",{"_placeholder":true,"num":9}]', '0', '4' + 'A'.repeat(100), '40/nope,'];
const garbage = {
  bytes: () => crypto.randomBytes(1 + Math.floor(Math.random() * 2048)),
  http: () => [
    'GARBAGE /socket.io/ HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /socket.io/?EIO=4&transport=polling HTTP/9.9\r\n' + 'X: ' + 'y'.repeat(5000) + '\r\n\r\n',
    'GET ' + '/a'.repeat(3000) + ' HTTP/1.1\r\n\r\n',
    'POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nContent-Length: -5\r\n\r\n',
    '\x00\x01\x02 HTTP/1.1\r\n\r\n',
    'GET /socket.io/?EIO=4&transport=polling&%zz=1 HTTP/1.1\r\nHost: x\r\n\r\n',
  ][Math.floor(Math.random() * 6)],
  polling: () => [
    'POST /socket.io/?EIO=4&transport=polling&sid=bogus HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\n42["a",1]',
    'GET /socket.io/?EIO=3&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /socket.io/?EIO=4&transport=carrier-pigeon HTTP/1.1\r\nHost: x\r\n\r\n',
    'POST /socket.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n\x1e\x1e\x1e\x1e\x1e',
  ][Math.floor(Math.random() * 4)],
};

async function flood() {
  const deadline = Date.now() + Number(process.argv[3] || 60000);
  const st = { opened: 0, reopened: 0, closedByServer: 0, errors: 0, live: 0, neverConnected: 0, lastError: '' };
  const kinds = ['bytes', 'http', 'ws', 'polling'];
  let stopping = false;
  const socks = new Set();

  function open(kind) {
    if (stopping || Date.now() > deadline) return;
    const s = net.connect({ host: GW.hostname, port: Number(GW.port) });
    socks.add(s);
    s.setNoDelay(true);
    st.opened++;
    let timer = null;
    s.on('connect', () => {
      st.live++;
      s.counted = true;
      if (kind === 'idle') return;                 // never a byte
      if (kind === 'ws') {
        s.write('GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n' +
          'Connection: Upgrade\r\nSec-WebSocket-Key: ' + crypto.randomBytes(16).toString('base64') +
          '\r\nSec-WebSocket-Version: 13\r\n\r\n');
      }
      const send = () => {
        if (s.destroyed) return;
        if (kind === 'ws') {
          const r = Math.random();
          const f = r < 0.6 ? wsFrame(1, junkPackets[Math.floor(Math.random() * junkPackets.length)])
            : r < 0.8 ? wsFrame(2, crypto.randomBytes(64))
              : r < 0.9 ? wsFrame(1, '4' + 'x'.repeat(70 * 1024))      // over the pre-auth limit
                : crypto.randomBytes(32);                             // not even a frame
          s.write(f);
        } else {
          s.write(garbage[kind]());
        }
      };
      timer = setInterval(send, 500);
      setTimeout(send, kind === 'ws' ? 50 : 0);
    });
    s.on('data', () => {});                          // read and discard answers
    s.on('error', (e) => { st.errors++; st.lastError = e.code || e.message; });
    s.on('close', () => {
      if (timer) clearInterval(timer);
      socks.delete(s);
      if (s.counted) st.live--; else st.neverConnected++;
      if (stopping) return;
      st.closedByServer++;
      if (st.reopened < RECONNECT_MAX) {
        st.reopened++;
        setTimeout(() => open(kind), 100);
      }
    });
  }

  for (let i = 0; i < IDLE; i++) open('idle');
  for (let i = 0; i < GARBAGE; i++) open(kinds[i % 4]);
  const started = Date.now();
  while (st.live < (IDLE + GARBAGE) * 0.95 && Date.now() - started < 20000) await sleep(50);
  process.send({ type: 'ready', ...st });
  process.on('message', (m) => {
    if (m === 'stats') process.send({ type: 'stats', ...st });
    if (m === 'stop') {
      stopping = true;
      for (const s of socks) s.destroy();
      process.send({ type: 'stopped', ...st });
      setTimeout(() => process.exit(0), 100);
    }
  });
  setTimeout(() => { stopping = true; for (const s of socks) s.destroy(); process.exit(0); },
    Math.max(0, deadline - Date.now()) + 5000);
}

// ---------------------------------------------------------------- measuring
async function writes(w, r, n, tag) {
  const lat = [];
  const fails = [];
  let missed = 0;
  for (let i = 0; i < n; i++) {
    const path = `flood/${tag}/${String(i).padStart(4, '0')}.md`;
    const a = await emitAck(w, 'modified-file', { path, content: `${tag} ${i} ${Math.random()}` }, 10000);
    if (a.ok) lat.push(a.ms); else { fails.push(a.code); lat.push(10000); }
    await sleep(10);
  }
  // every write reached the reader
  await until(() => r.log.filter((e) => e.data.path.startsWith(`flood/${tag}/`)).length >= n, 10000);
  missed = n - r.log.filter((e) => e.data.path.startsWith(`flood/${tag}/`)).length;
  return { lat, fails, missed, p50: pct(lat, 50), p99: pct(lat, 99), max: Math.max(...lat) };
}

function ask(child, msg, type) {
  return new Promise((resolve) => {
    const on = (m) => { if (m.type === type) { child.off('message', on); resolve(m); } };
    child.on('message', on);
    child.send(msg);
  });
}

async function main() {
  const w = await connect(process.env.WKEY);
  const r = await connect(process.env.RKEY);
  const gwPid = process.env.GW_PID;
  const rss0 = rssKb(gwPid);
  const base = await writes(w, r, 100, 'baseline');
  note(`baseline (no flood): write->ack p50 ${r1(base.p50)} ms, p99 ${r1(base.p99)} ms, max ${r1(base.max)} ms`);
  ok(base.fails.length === 0 && base.missed === 0, 'baseline: 100 writes acked and broadcast');

  const child = fork(fileURLToPath(import.meta.url), ['flood', '60000'], { stdio: 'inherit' });
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (c) => reject(new Error(`the flood process exited (${c})`)));
  });
  note(`flood open: ${ready.live} of ${IDLE + GARBAGE} connections live ` +
    `(${ready.opened} opened, ${ready.closedByServer} closed by the gateway so far)`);
  const fds = () => { try { return fs.readdirSync(`/proc/${gwPid}/fd`).length; } catch { return -1; } };
  if (!ok(ready.live >= (IDLE + GARBAGE) * 0.95, `at least 95% of the ${IDLE + GARBAGE} flood connections are open`)) {
    note(`the gateway holds ${fds()} file descriptors; the flood opened ${ready.opened}, ` +
      `${ready.closedByServer} were closed (${ready.errors} with an error, last ${ready.lastError}; ` +
      `${ready.neverConnected} before they connected)`);
  }
  const under = await writes(w, r, WRITES, 'flood');
  const stats = await ask(child, 'stats', 'stats');
  const rss1 = rssKb(gwPid);
  await ask(child, 'stop', 'stopped');
  note(`under the flood: write->ack p50 ${r1(under.p50)} ms, p99 ${r1(under.p99)} ms, max ${r1(under.max)} ms ` +
    `over ${WRITES} writes`);
  note(`flood: ${stats.live} live at the end, ${stats.opened} opened, ${stats.closedByServer} closed by the gateway, ` +
    `${stats.errors} errors; gateway VmRSS ${r1(rss0 / 1024)} -> ${r1(rss1 / 1024)} MiB`);
  ok(under.fails.length === 0, `every write under the flood was acked (${WRITES})`, under.fails.slice(0, 5));
  ok(under.missed === 0, 'and reached the other client', `${under.missed} missed`);
  ok(under.p99 < 1000, `write->ack p99 under the flood < 1 s: ${r1(under.p99)} ms`);
  ok(w.disconnects.length === 0 && r.disconnects.length === 0, 'the well-behaved clients stayed connected',
    JSON.stringify([w.disconnects, r.disconnects]));
  w.close();
  r.close();
}

if (process.argv[2] === 'flood') flood();
else run(main);
