// lib.mjs - helpers of the HTTP test driver (api.test.mjs): requests with
// exact control over the request line, headers and body bytes (node:http, so
// nothing normalises the URL), assertions of the JSON shapes of DESIGN §5, a
// LISTEN connection through psql, and a minimal FastCGI client for talking to
// sync-api without a web server.
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

export const BASE = new URL(process.env.API_BASE_URL || 'http://127.0.0.1:8080');
export const ADMIN = process.env.ADMIN_API_KEY || '';

// request(method, target, { key, json, raw, headers }) -> { status, headers, text, json, bytes }
// target is sent verbatim as the request target (e.g. "/api/v1/files?path=a%20b").
export function request(method, target, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  let body = null;
  if (opts.key !== undefined && opts.key !== null) headers['X-API-Key'] = opts.key;
  if (opts.raw !== undefined) {
    body = Buffer.isBuffer(opts.raw) ? opts.raw : Buffer.from(opts.raw, 'utf8');
  } else if (opts.json !== undefined) {
    body = Buffer.from(JSON.stringify(opts.json), 'utf8');
    headers['Content-Type'] = 'application/json';
  }
  if (body !== null) headers['Content-Length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: BASE.hostname, port: BASE.port, method, path: target, headers,
      agent: false, timeout: 60000,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const text = bytes.toString('utf8');
        let parsed;
        try { parsed = text.length ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json: parsed, bytes });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${target}`)));
    req.on('error', reject);
    if (body !== null) req.end(body); else req.end();
  });
}

// Shorthands over /api/v1.
export const V1 = '/api/v1';
export const api = {
  get: (p, key, headers) => request('GET', V1 + p, { key, headers }),
  head: (p, key, headers) => request('HEAD', V1 + p, { key, headers }),
  post: (p, key, json, headers) => request('POST', V1 + p, { key, json, headers }),
  put: (p, key, json, headers) => request('PUT', V1 + p, { key, json, headers }),
  patch: (p, key, json, headers) => request('PATCH', V1 + p, { key, json, headers }),
  del: (p, key, headers) => request('DELETE', V1 + p, { key, headers }),
};

// Query encoding the way browsers do it (space as %20, every reserved byte).
export const q = (s) => encodeURIComponent(s);

export const sha256 = (s) =>
  'sha256:' + crypto.createHash('sha256').update(typeof s === 'string' ? Buffer.from(s, 'utf8') : s).digest('hex');

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function show(r) {
  return `${r.status} ${r.text.length > 300 ? r.text.slice(0, 300) + '...' : r.text}`;
}

// The status, and a JSON body when the status has one.
export function expectStatus(r, status) {
  assert.equal(r.status, status, `expected ${status}, got ${show(r)}`);
  if (status !== 204 && status !== 304) {
    assert.match(r.headers['content-type'] || '', /^application\/json/, 'JSON content type');
  } else {
    assert.equal(r.text, '', 'no body');
  }
  return r.json;
}

// {"error":{"code","message","details"?}} with exactly those members.
export function expectError(r, status, code) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${show(r)}`);
  assert.match(r.headers['content-type'] || '', /^application\/json/, 'JSON content type');
  assert.ok(r.json && typeof r.json === 'object', `JSON error body, got ${show(r)}`);
  assert.deepEqual(Object.keys(r.json), ['error']);
  const e = r.json.error;
  assert.equal(e.code, code, `code: ${show(r)}`);
  assert.equal(typeof e.message, 'string');
  assert.ok(e.message.length > 0);
  for (const k of Object.keys(e)) assert.ok(['code', 'message', 'details'].includes(k), `member ${k}`);
  return e;
}

// A file object of DESIGN §5; want: { path, content, tomb, withContent }.
export function expectFile(o, want = {}) {
  const keys = ['path', 'hash', 'size', 'isBinary', 'extension', 'createdAt', 'updatedAt'];
  if (want.tomb) keys.push('expiresAt');
  if (want.withContent) keys.push('content');
  assert.deepEqual(Object.keys(o).sort(), keys.sort(), `members of ${JSON.stringify(o).slice(0, 200)}`);
  assert.equal(typeof o.path, 'string');
  assert.match(o.hash, /^sha256:[0-9a-f]{64}$/);
  assert.equal(typeof o.size, 'number');
  assert.equal(typeof o.isBinary, 'boolean');
  assert.ok(o.extension === null || typeof o.extension === 'string');
  assert.match(o.createdAt, ISO);
  assert.match(o.updatedAt, ISO);
  if (want.tomb) {
    assert.match(o.expiresAt, ISO);
  }
  if (want.path !== undefined) assert.equal(o.path, want.path);
  if (want.content !== undefined) {
    assert.equal(o.hash, sha256(want.content));
    assert.equal(o.size, Buffer.byteLength(want.content, 'utf8'));
    if (want.withContent) assert.equal(o.content, want.content);
  }
  return o;
}

export function expectStore(o) {
  assert.deepEqual(Object.keys(o).sort(), ['createdAt', 'fileCount', 'id', 'name', 'totalSize', 'updatedAt']);
  assert.match(o.id, UUID);
  assert.equal(typeof o.name, 'string');
  assert.match(o.createdAt, ISO);
  assert.match(o.updatedAt, ISO);
  assert.equal(typeof o.fileCount, 'number');
  assert.equal(typeof o.totalSize, 'number');
  return o;
}

export function expectKey(o, withKey = false) {
  const keys = ['createdAt', 'id', 'lastUsedAt', 'name', 'permissions', 'prefix', 'revokedAt'];
  if (withKey) keys.push('key');
  assert.deepEqual(Object.keys(o).sort(), keys.sort());
  assert.match(o.id, UUID);
  assert.ok(Array.isArray(o.permissions) && o.permissions.length > 0);
  assert.match(o.createdAt, ISO);
  assert.ok(o.lastUsedAt === null || ISO.test(o.lastUsedAt));
  assert.ok(o.revokedAt === null || ISO.test(o.revokedAt));
  assert.equal(typeof o.prefix, 'string');
  assert.equal(o.prefix.length, 16);
  if (withKey) {
    assert.match(o.key, /^sk_store_[0-9a-f]{6}_[A-Za-z0-9_-]{32}$/);
    assert.equal(o.key.slice(0, 16), o.prefix);
  }
  return o;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A LISTEN connection: psql reading "LISTEN sync_changes" and then a query
// now and then, which makes it print the notifications it has received.
export class Listener {
  constructor(url, channel = 'sync_changes') {
    this.notes = [];
    this.out = '';
    this.proc = spawn('psql', ['-X', '-q', '-A', '-t', '-d', url], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => this.#feed(d.toString('utf8')));
    this.proc.stderr.on('data', (d) => { this.err = (this.err || '') + d.toString('utf8'); });
    this.proc.stdin.write(`LISTEN ${channel};\n`);
  }

  #feed(s) {
    this.out += s;
    let i;
    while ((i = this.out.indexOf('\n')) >= 0) {
      const line = this.out.slice(0, i);
      this.out = this.out.slice(i + 1);
      const m = /^Asynchronous notification "([^"]+)" with payload "(.*)" received from server process/.exec(line);
      if (m) this.notes.push({ channel: m[1], payload: JSON.parse(m[2]) });
      if (line === 'tick') this.ticks = (this.ticks || 0) + 1;
    }
  }

  // Lets psql print what it has: one round trip.
  async #tick() {
    const before = this.ticks || 0;
    this.proc.stdin.write("SELECT 'tick';\n");
    for (let i = 0; i < 100 && (this.ticks || 0) === before; i++) await sleep(5);
  }

  async ready() {
    await this.#tick();
    assert.ok(!this.err, `psql: ${this.err}`);
  }

  // Takes every notification received so far (after waiting for count of
  // them, at most ms), leaving none behind.
  async take(count = 0, ms = 3000) {
    const end = Date.now() + ms;
    await this.#tick();
    while (this.notes.length < count && Date.now() < end) {
      await sleep(20);
      await this.#tick();
    }
    const got = this.notes;
    this.notes = [];
    return got;
  }

  // Waits quietly ms, then takes whatever came (for "nothing was notified").
  async quiet(ms = 300) {
    await sleep(ms);
    return this.take(0, 0);
  }

  close() {
    try { this.proc.stdin.end('\\q\n'); } catch { /* gone */ }
    setTimeout(() => { try { this.proc.kill(); } catch { /* gone */ } }, 500).unref();
  }
}

// ---- a minimal FastCGI client (responder role) ------------------------------

function record(type, id, content) {
  const pad = (8 - (content.length % 8)) % 8;
  const h = Buffer.alloc(8);
  h[0] = 1; h[1] = type; h.writeUInt16BE(id, 2); h.writeUInt16BE(content.length, 4); h[6] = pad;
  return Buffer.concat([h, content, Buffer.alloc(pad)]);
}

function nvlen(n) {
  if (n < 128) return Buffer.from([n]);
  const b = Buffer.alloc(4);
  b.writeUInt32BE((n | 0x80000000) >>> 0);
  return b;
}

function params(env) {
  const parts = [];
  for (const [k, v] of Object.entries(env)) {
    const kb = Buffer.from(k), vb = Buffer.from(v);
    parts.push(nvlen(kb.length), nvlen(vb.length), kb, vb);
  }
  return Buffer.concat(parts);
}

// fcgiRequest(socket, env, { stdin, endStdin }) -> { status, headers, body, ms }
// socket: a unix socket path or "host:port". stdin: Buffer sent as STDIN
// records; endStdin: whether to send the empty record that ends it.
export function fcgiRequest(socket, env, opts = {}) {
  const stdin = opts.stdin || Buffer.alloc(0);
  const endStdin = opts.endStdin !== false;
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const conn = socket.startsWith('/') ? net.connect(socket)
      : net.connect(Number(socket.split(':').pop()), socket.slice(0, socket.lastIndexOf(':')));
    let buf = Buffer.alloc(0), out = Buffer.alloc(0), done = false;
    const timer = setTimeout(() => { conn.destroy(); reject(new Error('FastCGI timeout')); }, opts.timeout || 10000);
    conn.on('connect', () => {
      const begin = Buffer.from([0, 1, 0, 0, 0, 0, 0, 0]);     // role responder, no keep-conn
      const chunks = [record(1, 1, begin)];
      const p = params(env);
      for (let i = 0; i < p.length; i += 65535) chunks.push(record(4, 1, p.subarray(i, i + 65535)));
      chunks.push(record(4, 1, Buffer.alloc(0)));
      for (let i = 0; i < stdin.length; i += 65535) chunks.push(record(5, 1, stdin.subarray(i, i + 65535)));
      if (endStdin) chunks.push(record(5, 1, Buffer.alloc(0)));
      conn.write(Buffer.concat(chunks));
    });
    conn.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 8) {
        const len = buf.readUInt16BE(4), pad = buf[6], type = buf[1];
        if (buf.length < 8 + len + pad) break;
        const content = buf.subarray(8, 8 + len);
        buf = buf.subarray(8 + len + pad);
        if (type === 6) out = Buffer.concat([out, content]);
        if (type === 3 && !done) {
          done = true;
          clearTimeout(timer);
          const ms = Date.now() - t0;
          conn.destroy();
          const text = out.toString('utf8');
          const sep = text.indexOf('\r\n\r\n');
          const head = sep >= 0 ? text.slice(0, sep) : text;
          const body = sep >= 0 ? text.slice(sep + 4) : '';
          const headers = {};
          for (const line of head.split('\r\n')) {
            const c = line.indexOf(':');
            if (c > 0) headers[line.slice(0, c).toLowerCase()] = line.slice(c + 1).trim();
          }
          const status = Number((headers.status || '200').split(' ')[0]);
          let json;
          try { json = body ? JSON.parse(body) : undefined; } catch { json = undefined; }
          resolve({ status, headers, text: body, json, ms, raw: text });
        }
      }
    });
    conn.on('error', (e) => { if (!done) { clearTimeout(timer); reject(e); } });
  });
}
