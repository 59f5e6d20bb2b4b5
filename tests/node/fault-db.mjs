// fault-db.mjs - PostgreSQL stopped (fast, then immediate) and started again
// while REST writes (PUT through lighttpd + sync-api) and socket writes
// (modified-file) stream into one store. Driven by tests/suites/70-faults-db.sh,
// which runs the shell requests pg-stop-fast, pg-stop-immediate, pg-start.
//
// What counts as acknowledged, and what a refusal must look like:
//   REST    200/201 = acknowledged; anything else must be 503 {"error":{"code":"UNAVAILABLE"}}
//   socket  {success:true, hash} = acknowledged; otherwise the ack must be
//           {success:false, error:{code:"UNAVAILABLE"}}, or no ack within 10 s
//           (a timeout: the write's fate is unknown to the client)
// Every write goes to its own path, so each acknowledged write is checked on
// its own afterwards:
//   - it is in the database with exactly its hash (psql), a sample also by
//     REST GET with its exact content;
//   - it has exactly one change in GET /changes, whose seqs are gapless;
//   - every receiving socket got every change exactly once, seqs strictly
//     increasing, each event named after its change's kind and path (the
//     gateway replays what it missed while its LISTEN connection was down),
//     and together with GET /changes?since=<last seq it saw> nothing is missing;
//   - the writing socket got every REST change and none of its own.
// Environment: API_URL, GW_URL, STORE, WKEY (read,write), RKEY (read),
// FAULT_DIR, PSQL, OUTAGE_MS (time the database stays down, default 2000).
import {
  api, askShell, connect, emitAck, errCode, feed, dbFiles, finish, firstDisorder, note, now, ok,
  pct, r1, run, sha256, show, sleep, socket, until, connected,
} from './fault-lib.mjs';

const { STORE, WKEY, RKEY } = process.env;
const OUTAGE_MS = Number(process.env.OUTAGE_MS || 2000);
const HAVE_GW = !!process.env.GW_URL;   // empty: sync-gateway not built yet, REST only
const MAX_PER_WRITER = 3000;      // a bound on every loop
const PAUSE_MS = 4;               // between two writes of one writer

const rest = [];      // {path, content, status, code, t0, t1}
const sock = [];      // {path, content, ok, hash, code, t0, t1}
let stopping = false;
const marks = [];     // {what, t}

function content(path, i) {
  return `# ${path}\nwrite ${i} at ${Date.now()} ${Math.random().toString(16).slice(2)}\n` +
    'lorem ipsum dolor sit amet '.repeat(12);
}

async function restWriter(id) {
  for (let i = 0; i < MAX_PER_WRITER && !stopping; i++) {
    const path = `rest/${id}/${String(i).padStart(5, '0')}.md`;
    const c = content(path, i);
    const t0 = now();
    const r = await api.put('/files', WKEY, { path, content: c }, { timeout: 30000 });
    rest.push({ path, content: c, status: r.status, code: errCode(r), err: r.status ? undefined : r.error,
      hash: r.json && r.json.hash, t0, t1: now() });
    await sleep(r.status === 200 || r.status === 201 ? PAUSE_MS : 50);
  }
}

async function sockWriter(w) {
  for (let i = 0; i < MAX_PER_WRITER && !stopping; i++) {
    const path = `sock/${String(i).padStart(5, '0')}.md`;
    const c = content(path, i);
    const t0 = now();
    const a = await emitAck(w, 'modified-file', { path, content: c }, 10000);
    sock.push({ path, content: c, ok: a.ok, hash: a.hash, code: a.code, t0, t1: now() });
    await sleep(a.ok ? PAUSE_MS : 50);
  }
}

// First acknowledged write of each kind that started after t.
function recoveredAt(t) {
  const r = rest.find((x) => x.t0 >= t && (x.status === 200 || x.status === 201));
  const s = sock.find((x) => x.t0 >= t && x.ok);
  return { rest: r ? r.t1 - t : null, sock: s ? s.t1 - t : null };
}

async function outage(mode) {
  await sleep(1500);                                  // writes flow first
  const tStop = now();
  await askShell(`pg-stop-${mode}`);
  const tDown = now();
  marks.push({ what: `stop ${mode}`, t: tStop });
  note(`pg_stop ${mode} took ${r1(tDown - tStop)} ms`);
  // while it is down: the health route says so, a new socket is refused with UNAVAILABLE
  const h = await api.get('/health', undefined, { timeout: 15000 });
  ok(h.status === 503, `${mode} outage: GET /health answers 503`, show(h));
  if (HAVE_GW) {
    const probe = socket(WKEY);
    let msg;
    try { await connected(probe, 15000); msg = '(connected)'; } catch (e) { msg = e.message; }
    probe.close();
    ok(msg === 'UNAVAILABLE', `${mode} outage: a socket connecting now gets connect_error UNAVAILABLE`, msg);
  }
  const left = OUTAGE_MS - (now() - tDown);
  if (left > 0) await sleep(left);
  const tStart = now();
  await askShell('pg-start');
  const tUp = now();
  note(`${mode}: database down for ${r1(tUp - tDown)} ms; pg_start took ${r1(tUp - tStart)} ms`);
  marks.push({ what: `start after ${mode}`, t: tUp });
  const recovered = await until(() => {
    const r = recoveredAt(tUp);
    return r.rest !== null && (r.sock !== null || !HAVE_GW);
  }, 30000);
  const r = recoveredAt(tUp);
  ok(recovered, `${mode}: REST and socket writes succeed again without a restart ` +
    `(first REST ack ${r.rest === null ? 'never' : r1(r.rest) + ' ms'}, first socket ack ` +
    `${r.sock === null ? 'never' : r1(r.sock) + ' ms'} after pg_start returned)`);
  await sleep(1500);                                  // and keep flowing
}

function checkReceiver(name, s, changes, opts) {
  const seqs = s.seqs();
  const bad = firstDisorder(seqs);
  ok(bad < 0, `${name}: seqs strictly increasing, no duplicate (${seqs.length} events)`,
    bad < 0 ? '' : `at ${bad}: ${seqs.slice(Math.max(0, bad - 3), bad + 3)}`);
  ok(s.disconnects.length === 0, `${name}: stayed connected through both outages`,
    JSON.stringify(s.disconnects));
  const bySeq = new Map(changes.map((c) => [c.seq, c]));
  const wanted = changes.filter(opts.want);
  const got = new Set(seqs);
  const missing = wanted.filter((c) => !got.has(c.seq)).map((c) => c.seq);
  ok(missing.length === 0, `${name}: every change it should get arrived live (${wanted.length})`,
    `missing ${missing.length}: ${missing.slice(0, 20)}`);
  const unexpected = seqs.filter((q) => !bySeq.has(q) || !opts.want(bySeq.get(q)));
  ok(unexpected.length === 0, `${name}: nothing it should not get`, `${unexpected.slice(0, 20)}`);
  const mismatch = s.log.filter((e) => {
    const c = bySeq.get(e.data.seq);
    return c && (e.name !== `file-${c.kind}` || e.data.path !== c.path ||
      (e.data.content !== undefined && sha256(e.data.content) !== e.data.hash));
  });
  ok(mismatch.length === 0, `${name}: each event's name and path match its change, content matches hash`,
    JSON.stringify(mismatch.slice(0, 3).map((e) => [e.name, e.data.path, e.data.seq])));
  return seqs.length ? seqs[seqs.length - 1] : 0;
}

run(async () => {
  const R = HAVE_GW ? await connect(RKEY) : null;
  const R2 = HAVE_GW ? await connect(RKEY, { transports: ['polling'], upgrade: false }) : null;
  const W = HAVE_GW ? await connect(WKEY) : null;
  if (!HAVE_GW) note('no sync-gateway: REST writes only');
  const t0 = now();
  const writers = [restWriter('a'), restWriter('b'), ...(HAVE_GW ? [sockWriter(W)] : [])];
  await outage('fast');
  await outage('immediate');
  stopping = true;
  await Promise.all(writers);
  const elapsed = now() - t0;

  // ---- refusals --------------------------------------------------------------
  const restOk = rest.filter((x) => x.status === 200 || x.status === 201);
  const restNo = rest.filter((x) => !(x.status === 200 || x.status === 201));
  const restBad = restNo.filter((x) => !(x.status === 503 && x.code === 'UNAVAILABLE'));
  note(`REST: ${rest.length} PUTs, ${restOk.length} acknowledged, ${restNo.length} refused ` +
    `(p50 ${r1(pct(restOk.map((x) => x.t1 - x.t0), 50))} ms, max ${r1(Math.max(...rest.map((x) => x.t1 - x.t0)))} ms)`);
  ok(restNo.length > 0, 'REST: some writes met the outages (the faults hit the write stream)');
  ok(restBad.length === 0, 'REST: every refused write got 503 UNAVAILABLE',
    JSON.stringify(restBad.slice(0, 5).map((x) => [x.path, x.status, x.code, x.err])));
  const sockOk = sock.filter((x) => x.ok);
  const sockNo = sock.filter((x) => !x.ok);
  const sockTimeout = sockNo.filter((x) => x.code === 'TIMEOUT');
  const sockBad = sockNo.filter((x) => x.code !== 'UNAVAILABLE' && x.code !== 'TIMEOUT');
  note(`socket: ${sock.length} writes, ${sockOk.length} acknowledged, ` +
    `${sockNo.length - sockTimeout.length} UNAVAILABLE, ${sockTimeout.length} timed out ` +
    `(p50 ${r1(pct(sockOk.map((x) => x.t1 - x.t0), 50))} ms)`);
  if (HAVE_GW) ok(sockNo.length > 0, 'socket: some writes met the outages');
  if (HAVE_GW) ok(sockBad.length === 0, 'socket: every refused write was acked UNAVAILABLE or timed out after 10 s',
    JSON.stringify(sockBad.slice(0, 5).map((x) => [x.path, x.code])));
  ok(restOk.length > 50 && (sockOk.length > 50 || !HAVE_GW), `writes went through before, between and after ` +
    `the outages (${restOk.length} REST, ${sockOk.length} socket in ${r1(elapsed / 1000)} s)`);

  // ---- durability --------------------------------------------------------------
  const files = dbFiles(STORE);
  const lostRest = restOk.filter((x) => {
    const f = files.get(x.path);
    return !f || !f.live || f.hash !== sha256(x.content) || x.hash !== f.hash;
  });
  ok(lostRest.length === 0, `every acknowledged REST write is in the database with its hash (${restOk.length})`,
    JSON.stringify(lostRest.slice(0, 5).map((x) => x.path)));
  const lostSock = sockOk.filter((x) => {
    const f = files.get(x.path);
    return !f || !f.live || f.hash !== sha256(x.content) || x.hash !== f.hash;
  });
  ok(lostSock.length === 0, `every acknowledged socket write is in the database with its hash (${sockOk.length})`,
    JSON.stringify(lostSock.slice(0, 5).map((x) => x.path)));
  const sample = [...restOk.filter((_, i) => i % 97 === 0), ...sockOk.filter((_, i) => i % 97 === 0)];
  let sampleBad = 0;
  for (const x of sample) {
    const r = await api.get(`/files?path=${encodeURIComponent(x.path)}`, RKEY);
    if (r.status !== 200 || r.json.content !== x.content) sampleBad++;
  }
  ok(sampleBad === 0, `a sample of ${sample.length} acknowledged writes reads back byte for byte by REST GET`);
  const attempted = new Map([...rest, ...sock].map((x) => [x.path, x]));
  const ghost = [...files.keys()].filter((p) => !attempted.has(p));
  ok(ghost.length === 0, 'no file the writers did not write', ghost.slice(0, 5));
  const torn = [...files.entries()].filter(([p, f]) => attempted.has(p) && f.hash !== sha256(attempted.get(p).content));
  ok(torn.length === 0, 'every file in the database holds exactly what was sent for it (no torn write)',
    JSON.stringify(torn.slice(0, 5)));
  const unackedIn = [...restNo, ...sockNo].filter((x) => files.has(x.path)).length;
  note(`refused or timed-out writes that committed anyway (the answer was lost with the connection): ${unackedIn}`);

  // ---- the change feed --------------------------------------------------------------
  const f = await feed(RKEY, 0);
  const changes = f.changes;
  const gap = changes.findIndex((c, i) => c.seq !== i + 1);
  ok(!f.resync && gap < 0 && changes.length === f.latestSeq,
    `GET /changes: seqs 1..${f.latestSeq} with no gap`, `gap at ${gap}`);
  const perPath = new Map();
  for (const c of changes) perPath.set(c.path, (perPath.get(c.path) || 0) + 1);
  const notOnce = [...restOk, ...sockOk].filter((x) => perPath.get(x.path) !== 1);
  ok(notOnce.length === 0, 'every acknowledged write has exactly one change in the feed',
    JSON.stringify(notOnce.slice(0, 5).map((x) => [x.path, perPath.get(x.path)])));

  // ---- what the sockets saw ------------------------------------------------------------
  if (!HAVE_GW) return;
  const head = f.latestSeq;
  const caught = await until(() => [R, R2].every((s) => s.seqs().at(-1) === head) &&
    W.log.length >= changes.filter((c) => c.path.startsWith('rest/')).length, 30000);
  ok(caught, `the receivers caught up with the head (seq ${head}) within 30 s`,
    `R ${R.seqs().at(-1)}, R2 ${R2.seqs().at(-1)}, W ${W.log.length}`);
  const lastR = checkReceiver('receiver (websocket)', R, changes, { want: () => true });
  const lastR2 = checkReceiver('receiver (polling)', R2, changes, { want: () => true });
  checkReceiver('writing socket', W, changes, { want: (c) => c.path.startsWith('rest/') });
  for (const [name, last, s] of [['receiver (websocket)', lastR, R], ['receiver (polling)', lastR2, R2]]) {
    const tail = await feed(RKEY, last);
    const have = new Set([...s.seqs(), ...tail.changes.map((c) => c.seq)]);
    const missing = changes.filter((c) => !have.has(c.seq)).length;
    ok(missing === 0 && !tail.resync, `${name}: its events plus GET /changes?since=${last} miss nothing`,
      `${missing} missing`);
  }
  // live delivery still works: one more write of each kind reaches the receiver
  const path = 'after/final.md';
  const a = await emitAck(W, 'modified-file', { path, content: 'after the outages' });
  const p = await api.put('/files', WKEY, { path: 'after/final-rest.md', content: 'after the outages, REST' });
  ok(a.ok && (p.status === 201 || p.status === 200), 'a write of each kind after the outages is acknowledged',
    `${a.code} ${show(p)}`);
  const live = await until(() => R.log.some((e) => e.data.path === 'after/final.md') &&
    R.log.some((e) => e.data.path === 'after/final-rest.md'), 10000);
  ok(live, 'and both reach the receiver live');
  for (const s of [R, R2, W]) s.close();
});
