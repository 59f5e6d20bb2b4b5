// fault-lib.mjs - what the fault and security drivers (tests/node/fault-*.mjs,
// sec-*.mjs) share: REST requests with exact control (node:http, no agent),
// the change feed, socket.io-client sockets that log every event they get,
// psql, the shell's request files (tests/faults/lib.sh fl_serve_requests),
// percentiles, and "ok - / not ok -" lines ending in "N passed, N failed".
//
// Environment: API_URL (lighttpd in front of sync-api), GW_URL (the gateway),
// ADMIN_API_KEY, PSQL, the PG* variables, FAULT_DIR (request files).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { io } from 'socket.io-client';

export const API_URL = process.env.API_URL || '';
export const GW_URL = process.env.GW_URL || '';
export const ADMIN = process.env.ADMIN_API_KEY || '';
export const FILE_EVENTS = ['file-created', 'file-modified', 'file-deleted', 'file-renamed'];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const now = () => Number(process.hrtime.bigint() / 1000n) / 1000;   // ms, monotonic

export const sha256 = (s) =>
  'sha256:' + crypto.createHash('sha256').update(typeof s === 'string' ? Buffer.from(s, 'utf8') : s).digest('hex');

// ---- results --------------------------------------------------------------
let passed = 0;
let failed = 0;
export function ok(cond, name, detail) {
  if (cond) { passed++; console.log(`ok - ${name}`); }
  else { failed++; console.log(`not ok - ${name}${detail !== undefined ? ` -- ${detail}` : ''}`); }
  return !!cond;
}
export function note(s) { console.log(`# ${s}`); }
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
// Runs main(); an exception is one failure, then the summary.
export function run(main) {
  const guard = setTimeout(() => { ok(false, 'driver finished within its time limit'); finish(); },
    Number(process.env.FAULT_DRIVER_MS || 160000));
  guard.unref();
  main().then(() => finish(), (e) => { ok(false, `driver: ${e && e.stack || e}`); finish(); });
}

export function pct(values, p) {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
export const r1 = (x) => Math.round(x * 10) / 10;

// ---- REST -----------------------------------------------------------------
// request(method, target, {key, json, raw, headers, timeout}) ->
//   {status, headers, text, json} or {status: 0, error} on a transport error.
export function request(method, target, opts = {}) {
  const base = new URL(opts.base || API_URL);
  const headers = { ...(opts.headers || {}) };
  let body = null;
  if (opts.key !== undefined && opts.key !== null) headers['X-API-Key'] = opts.key;
  if (opts.raw !== undefined) body = Buffer.isBuffer(opts.raw) ? opts.raw : Buffer.from(opts.raw, 'utf8');
  else if (opts.json !== undefined) {
    body = Buffer.from(JSON.stringify(opts.json), 'utf8');
    headers['Content-Type'] = 'application/json';
  }
  if (body !== null) headers['Content-Length'] = String(body.length);
  return new Promise((resolve) => {
    let done = false;
    const end = (r) => { if (!done) { done = true; resolve(r); } };
    const req = http.request({
      host: base.hostname, port: base.port, method, path: target, headers, agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let j;
        try { j = text ? JSON.parse(text) : undefined; } catch { j = undefined; }
        end({ status: res.statusCode, headers: res.headers, text, json: j });
      });
      res.on('error', (e) => end({ status: 0, error: String(e.message || e) }));
    });
    req.setTimeout(opts.timeout || 30000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => end({ status: 0, error: String(e.message || e) }));
    if (body !== null) req.end(body); else req.end();
  });
}
export const V1 = '/api/v1';
export const q = encodeURIComponent;
export const api = {
  get: (p, key, o = {}) => request('GET', V1 + p, { key, ...o }),
  put: (p, key, json, o = {}) => request('PUT', V1 + p, { key, json, ...o }),
  post: (p, key, json, o = {}) => request('POST', V1 + p, { key, json, ...o }),
  patch: (p, key, json, o = {}) => request('PATCH', V1 + p, { key, json, ...o }),
  del: (p, key, o = {}) => request('DELETE', V1 + p, { key, ...o }),
};
export const errCode = (r) => (r && r.json && r.json.error && r.json.error.code) || null;
export const show = (r) => r.status ? `${r.status} ${(r.text || '').slice(0, 200)}` : `transport error ${r.error}`;

// The whole change feed after since: {changes, latestSeq, resync}.
export async function feed(key, since = 0, base) {
  const all = [];
  let latest = null;
  for (let guard = 0; guard < 1000; guard++) {
    const r = await request('GET', `${V1}/changes?since=${since}&limit=1000`, { key, base });
    if (r.status !== 200) throw new Error(`GET /changes?since=${since}: ${show(r)}`);
    if (r.json.resync) return { changes: all, latestSeq: r.json.latestSeq, resync: true };
    latest = r.json.latestSeq;
    all.push(...r.json.changes);
    if (!r.json.changes.length || all[all.length - 1].seq >= latest) break;
    since = all[all.length - 1].seq;
  }
  return { changes: all, latestSeq: latest, resync: false };
}

// ---- admin ----------------------------------------------------------------
export async function newStore(name) {
  const r = await api.post('/admin/stores', ADMIN, { name });
  if (r.status !== 201) throw new Error(`POST /admin/stores: ${show(r)}`);
  return r.json.id;
}
export async function newKey(store, permissions = ['read', 'write'], name = 'fault') {
  const r = await api.post(`/admin/stores/${store}/keys`, ADMIN, { name, permissions });
  if (r.status !== 201) throw new Error(`POST keys: ${show(r)}`);
  return { key: r.json.key, id: r.json.id };
}

// ---- psql ------------------------------------------------------------------
export function psql(sql) {
  return execFileSync(process.env.PSQL || 'psql', ['-qAtX', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 }).replace(/\n$/, '');
}
export const lit = (s) => (s === null ? 'NULL' : "'" + String(s).replace(/'/g, "''") + "'");

// path -> {hash, size, live} of every vault file of a store, from the database.
export function dbFiles(store) {
  const out = psql(`SELECT path, hash, size, expires_at IS NULL FROM files WHERE store_id = ${lit(store)} ` +
    `AND namespace = 'vault'`);
  const m = new Map();
  for (const line of out ? out.split('\n') : []) {
    const [p, hash, size, live] = line.split('|');
    m.set(p, { hash, size: Number(size), live: live === 't' });
  }
  return m;
}

// ---- sockets ---------------------------------------------------------------
// A socket.io-client socket whose file-* events are logged in arrival order
// (s.log: {name, data, t}); s.seqs(): their seqs; s.disconnects: reasons.
export function socket(key, opts = {}) {
  const o = {
    transports: ['websocket'], forceNew: true, reconnection: false, timeout: 10000, ...opts,
  };
  if (key !== undefined) o.query = { apiKey: key, ...(opts.query || {}) };
  const s = io(opts.url || GW_URL, o);
  s.log = [];
  s.disconnects = [];
  s.connects = 0;
  for (const name of FILE_EVENTS) s.on(name, (data) => s.log.push({ name, data, t: now() }));
  s.on('disconnect', (reason) => s.disconnects.push({ reason, t: now() }));
  s.on('connect', () => { s.connects++; });
  s.seqs = () => s.log.map((e) => e.data.seq);
  return s;
}
// Resolves with the socket once connected, rejects with the connect_error.
export function connected(s, ms = 15000) {
  if (s.connected) return Promise.resolve(s);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { cleanup(); reject(new Error(`no connect within ${ms} ms`)); }, ms);
    const onOk = () => { cleanup(); resolve(s); };
    const onErr = (e) => { cleanup(); reject(e); };
    const cleanup = () => { clearTimeout(t); s.off('connect', onOk); s.off('connect_error', onErr); };
    s.on('connect', onOk);
    s.on('connect_error', onErr);
  });
}
export async function connect(key, opts = {}) {
  const s = socket(key, opts);
  try { return await connected(s, opts.connectMs || 15000); } catch (e) { s.close(); throw e; }
}
// {ok, hash, code, ms}: ok true on {success:true}; code the ack's error code,
// 'TIMEOUT' when no ack came within ms, 'DISCONNECTED' when the socket was down.
export async function emitAck(s, event, payload, ms = 10000) {
  const t0 = now();
  try {
    const a = await s.timeout(ms).emitWithAck(event, payload);
    const dt = now() - t0;
    if (a && a.success === true) return { ok: true, hash: a.hash, ms: dt };
    return { ok: false, code: (a && a.error && a.error.code) || `BAD_ACK ${JSON.stringify(a)}`, ms: dt };
  } catch (e) {
    return { ok: false, code: s.connected ? 'TIMEOUT' : 'DISCONNECTED', ms: now() - t0 };
  }
}
// Waits until pred() holds (polling every 20 ms), at most ms; returns pred().
export async function until(pred, ms) {
  const end = now() + ms;
  while (!pred() && now() < end) await sleep(20);
  return pred();
}

// Seqs strictly increasing? Returns the first offending index, or -1.
export function firstDisorder(seqs) {
  for (let i = 1; i < seqs.length; i++) if (!(seqs[i] > seqs[i - 1])) return i;
  return -1;
}

// ---- requests to the shell (tests/faults/lib.sh fl_serve_requests) ---------
export async function askShell(name, ms = 60000) {
  const dir = process.env.FAULT_DIR;
  if (!dir) throw new Error('FAULT_DIR is not set');
  const done = path.join(dir, `done-${name}`);
  fs.rmSync(done, { force: true });
  fs.writeFileSync(path.join(dir, `req-${name}`), '');
  const end = now() + ms;
  while (now() < end) {
    if (fs.existsSync(done)) {
      const rc = fs.readFileSync(done, 'utf8').trim();
      fs.rmSync(done, { force: true });
      if (rc !== '0') throw new Error(`shell request ${name} failed (status ${rc})`);
      return;
    }
    await sleep(20);
  }
  throw new Error(`shell request ${name}: no answer within ${ms} ms`);
}

export function rssKb(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}
