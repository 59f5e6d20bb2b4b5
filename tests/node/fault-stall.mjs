// fault-stall.mjs - a client that stops reading while 100 MiB of events are
// queued for it. Driven by tests/suites/72-faults-load.sh.
//
// The stalled client is a raw WebSocket (the ws package) that opens an
// Engine.IO session with a read key, sends the Socket.IO CONNECT, gets its
// 40{"sid"} and then never reads again (its TCP receive window stays at the
// kernel's initial size: the kernel buffers about 4 MiB at most, the rest
// queues in the gateway). A well-behaved socket.io-client in the same store
// reads everything. 100 writes of 1 MiB each go through REST.
// Asserted:
//   - the gateway drops the stalled client (log: "send queue full"; the
//     client, reading again, sees the connection closed having received less
//     than what was sent);
//   - the gateway's VmRSS (sampled every 50 ms) never grows more than
//     RSS_BOUND_MB over its idle value: the 64 MiB queue bound + 64 MiB slack;
//   - the well-behaved client gets all 100 events, in order, content intact;
//   - the gateway still serves: a new socket connects and its write is acked.
// Environment: API_URL, GW_URL, GW_PID, GW_LOG, WKEY, RKEY, EVENTS (100),
// EVENT_BYTES (1 MiB), RSS_BOUND_MB (128).
import fs from 'node:fs';
import WebSocket from 'ws';
import {
  api, connect, emitAck, firstDisorder, note, now, ok, r1, rssKb, run, sha256, show, sleep, until,
} from './fault-lib.mjs';

const { GW_URL, GW_PID, GW_LOG, WKEY, RKEY } = process.env;
const EVENTS = Number(process.env.EVENTS || 100);
const EVENT_BYTES = Number(process.env.EVENT_BYTES || 1 << 20);
const RSS_BOUND_MB = Number(process.env.RSS_BOUND_MB || 128);

// The raw client: resolves once the namespace CONNECT was accepted; then
// stops reading. stall.bytes counts what it read.
function stalledClient() {
  const url = `${GW_URL.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket&apiKey=${encodeURIComponent(RKEY)}`;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const st = { ws, bytes: 0, messages: 0, closed: false, closeCode: null, closedAt: null, sid: null };
  ws.on('message', (data) => {
    st.bytes += data.length;
    st.messages++;
    const s = data.toString('utf8', 0, Math.min(data.length, 64));
    if (s.startsWith('0{')) ws.send('40');
    else if (s === '2') ws.send('3');
    else if (s.startsWith('40{')) {
      st.sid = JSON.parse(data.toString().slice(2)).sid;
      ws.pause();                       // from now on: never read
      st.ready();
    }
  });
  ws.on('close', (code) => { st.closed = true; st.closeCode = code; st.closedAt = now(); });
  ws.on('error', () => {});
  st.readyP = new Promise((resolve, reject) => {
    st.ready = resolve;
    setTimeout(() => reject(new Error('the raw client was not accepted within 15 s')), 15000).unref();
  });
  return st;
}

run(async () => {
  const base = rssKb(GW_PID);
  const good = await connect(RKEY);
  const stall = stalledClient();
  await stall.readyP;
  ok(true, `the raw client authenticated (sid ${stall.sid}) and stopped reading`);

  let peak = rssKb(GW_PID);
  let sampling = true;
  const sampler = (async () => {
    while (sampling) { peak = Math.max(peak, rssKb(GW_PID)); await sleep(50); }
  })();

  const sent = [];
  const t0 = now();
  const filler = 'The quick brown fox jumps over the lazy dog. '.repeat(Math.ceil(EVENT_BYTES / 45));
  for (let i = 0; i < EVENTS; i++) {
    const path = `stall/${String(i).padStart(3, '0')}.md`;
    const content = `${i} ${Math.random()}\n` + filler.slice(0, EVENT_BYTES - 32);
    const r = await api.put('/files', WKEY, { path, content }, { timeout: 60000 });
    if (r.status !== 201) { ok(false, `PUT ${path}`, show(r)); break; }
    sent.push({ path, hash: r.json.hash });
  }
  const writeMs = now() - t0;
  const total = sent.length * EVENT_BYTES;
  note(`${sent.length} writes of ${EVENT_BYTES} bytes (${r1(total / 1048576)} MiB) in ${r1(writeMs)} ms`);

  const all = await until(() => good.log.length >= sent.length, 90000);
  const dropLine = () => {
    const log = fs.readFileSync(GW_LOG, 'utf8');
    return log.split('\n').find((l) => l.includes(`(send queue full)`) ) || null;
  };
  const dropped = await until(() => dropLine() !== null, 20000);
  await sleep(200);
  sampling = false;
  await sampler;
  const growth = (peak - base) / 1024;
  note(`gateway VmRSS: idle ${r1(base / 1024)} MiB, peak ${r1(peak / 1024)} MiB (growth ${r1(growth)} MiB), ` +
    `now ${r1(rssKb(GW_PID) / 1024)} MiB`);

  ok(all, `the well-behaved client got all ${sent.length} events (${good.log.length})`);
  const seqs = good.seqs();
  ok(firstDisorder(seqs) < 0, 'its seqs strictly increasing');
  const byPath = new Map(good.log.map((e) => [e.data.path, e.data]));
  const badContent = sent.filter((x) => {
    const d = byPath.get(x.path);
    return !d || d.hash !== x.hash || sha256(d.content) !== x.hash;
  });
  ok(badContent.length === 0, 'every event carried its whole content (hash checked)', badContent.length);

  ok(dropped, 'the gateway dropped the stalled client for its send queue', dropLine() || 'no "send queue full" line');
  if (dropped) note(dropLine().slice(0, 200));
  ok(growth < RSS_BOUND_MB, `the gateway's RSS grew less than ${RSS_BOUND_MB} MiB ` +
    `(64 MiB queue bound + ${RSS_BOUND_MB - 64} MiB slack): ${r1(growth)} MiB`);

  // the stalled client reads again: it finds its connection closed, short of everything
  stall.ws.resume();
  await until(() => stall.closed, 20000);
  ok(stall.closed, `the stalled client, reading again, finds its connection closed ` +
    `(code ${stall.closeCode}) after ${r1(stall.bytes / 1048576)} MiB of ${r1(total / 1048576)} MiB`);
  ok(stall.bytes < total, 'it never received everything (the rest was dropped, not buffered)');

  const w = await connect(WKEY);
  const a = await emitAck(w, 'modified-file', { path: 'stall/after.md', content: 'still serving' });
  ok(a.ok, `the gateway still serves: a new socket's write acked in ${r1(a.ms)} ms`, a.code);
  w.close();
  good.close();
});
