// fault-gwkill.mjs - sync-gateway killed with SIGKILL while clients are
// connected, writes made while it is down, a new gateway started on the same
// port. Driven by tests/suites/71-faults-kill.sh (shell requests gw-kill,
// gw-start).
//
// The clients are socket.io-client 4.8.1 with reconnection on (the plugin's
// way): a WebSocket receiver, a polling receiver and a writer. Asserted:
//   - the receivers notice the kill and reconnect to the new gateway by
//     themselves (time measured);
//   - REST keeps working while the gateway is down;
//   - GET /changes?since=<last seq a receiver saw> returns every write made
//     while it was down, seqs gapless up to latestSeq; with what it received
//     live before and after, nothing is missing and no seq came twice live;
//   - writes the writer emitted while disconnected (socket.io-client buffers
//     them) are applied and acknowledged after the reconnect.
// Environment: API_URL, GW_URL, STORE, WKEY, RKEY, FAULT_DIR.
import {
  api, askShell, emitAck, feed, dbFiles, firstDisorder, note, now, ok, r1, run, sha256, show,
  socket, connected, until,
} from './fault-lib.mjs';

const { WKEY, RKEY, STORE } = process.env;
const RECONNECT = { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 1000,
  reconnectionAttempts: 200 };

async function restWrites(prefix, n) {
  const done = [];
  for (let i = 0; i < n; i++) {
    const path = `${prefix}/${String(i).padStart(3, '0')}.md`;
    const content = `${path} ${Math.random()}`;
    const r = await api.put('/files', WKEY, { path, content });
    done.push({ path, content, status: r.status, text: show(r) });
  }
  return done;
}

run(async () => {
  const R = socket(RKEY, RECONNECT);
  const R2 = socket(RKEY, { ...RECONNECT, transports: ['polling'], upgrade: false });
  const W = socket(WKEY, RECONNECT);
  await Promise.all([connected(R), connected(R2), connected(W)]);
  const receivers = [['receiver (websocket)', R], ['receiver (polling)', R2]];

  const before = await restWrites('before', 20);
  ok(before.every((x) => x.status === 201), 'REST: 20 writes before the kill', before.find((x) => x.status !== 201)?.text);
  ok(await until(() => receivers.every(([, s]) => s.log.length >= 20), 10000),
    'the receivers got the 20 writes live');
  const lastSeen = new Map(receivers.map(([n, s]) => [n, Math.max(0, ...s.seqs())]));

  const tKill = now();
  await askShell('gw-kill');
  const noticed = await until(() => [R, R2, W].every((s) => s.disconnects.length > 0), 20000);
  ok(noticed, `every client noticed the kill (${r1(now() - tKill)} ms)`,
    JSON.stringify([R, R2, W].map((s) => s.disconnects)));

  const down = await restWrites('while-down', 30);
  ok(down.every((x) => x.status === 201), 'REST: 30 writes while the gateway is down all succeed',
    down.find((x) => x.status !== 201)?.text);
  // socket.io-client buffers what is emitted while disconnected
  const buffered = [];
  for (let i = 0; i < 5; i++) {
    const path = `buffered/${i}.md`;
    const content = `emitted while the gateway was down ${i} ${Math.random()}`;
    buffered.push({ path, content, ack: emitAck(W, 'modified-file', { path, content }, 60000) });
  }

  const tStart = now();
  await askShell('gw-start');
  const tUp = now();
  const back = await until(() => [R, R2, W].every((s) => s.connected), 30000);
  ok(back, `every client reconnected to the new gateway by itself ` +
    `(${r1(now() - tUp)} ms after it was up, ${r1(now() - tKill)} ms after the kill)`,
    JSON.stringify([R, R2, W].map((s) => s.connected)));
  note(`the new gateway took ${r1(tUp - tStart)} ms to start`);

  const acks = await Promise.all(buffered.map((b) => b.ack));
  ok(acks.every((a) => a.ok), 'the 5 writes emitted while disconnected were acknowledged after the reconnect',
    JSON.stringify(acks.map((a) => a.code)));
  const files = dbFiles(STORE);
  ok(buffered.every((b, i) => acks[i].ok && files.get(b.path)?.hash === sha256(b.content)),
    'and they are in the database with their hashes');

  const after = await restWrites('after', 10);
  ok(after.every((x) => x.status === 201), 'REST: 10 writes after the restart');
  const f = await feed(RKEY, 0);
  const head = f.latestSeq;
  ok(!f.resync && f.changes.length === head && f.changes.every((c, i) => c.seq === i + 1),
    `GET /changes: seqs 1..${head} gapless`);
  const liveAfter = await until(() => receivers.every(([, s]) =>
    after.every((x) => s.log.some((e) => e.data.path === x.path))), 15000);
  ok(liveAfter, 'the receivers get the writes made after the restart live');

  const downPaths = new Set(down.map((x) => x.path));
  for (const [name, s] of receivers) {
    const since = lastSeen.get(name);
    const tail = await feed(RKEY, since);
    const tailPaths = new Set(tail.changes.map((c) => c.path));
    const missingDown = [...downPaths].filter((p) => !tailPaths.has(p));
    ok(!tail.resync && missingDown.length === 0,
      `${name}: GET /changes?since=${since} (its last seq before the kill) has all 30 writes made while it was down`,
      `missing ${missingDown.slice(0, 5)}`);
    ok(tail.changes.length > 0 && tail.changes[0].seq === since + 1 &&
      tail.changes.every((c, i) => c.seq === since + 1 + i) && tail.latestSeq >= head,
    `${name}: that page starts at seq ${since + 1} with no gap`);
    const seqs = s.seqs();
    const bad = firstDisorder(seqs);
    ok(bad < 0, `${name}: live seqs strictly increasing over both gateways, no duplicate (${seqs.length} events)`,
      `at ${bad}: ${seqs.slice(Math.max(0, bad - 3), bad + 3)}`);
    const have = new Set([...seqs, ...tail.changes.map((c) => c.seq)]);
    const missing = f.changes.filter((c) => !have.has(c.seq)).map((c) => c.seq);
    ok(missing.length === 0, `${name}: live events plus that page miss nothing of seqs 1..${head}`, `${missing}`);
  }
  ok(W.log.every((e) => !e.data.path.startsWith('buffered/')), 'the writer got no event of its own writes');
  for (const s of [R, R2, W]) s.close();
});
