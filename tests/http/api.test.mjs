// api.test.mjs - the REST contract of DESIGN §5 through a real web server.
//
// Run by tests/http/run.sh (node --test); the same file serves every front.
// Environment: API_BASE_URL (the front), ADMIN_API_KEY, DATABASE_URL (for the
// LISTEN connection), FRONT_NAME; optional FCGI_SOCKET (sync-api's own
// FastCGI socket, for the requests no web server would send) and
// SYNC_TEST_PG_STOP / SYNC_TEST_PG_START (shell commands: the outage test).
//
// Tests run in file order and share the state in S: the admin API itself
// creates the stores and keys the later tests use.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import {
  ADMIN, V1, api, request, q, sha256, expectStatus, expectError, expectFile, expectStore,
  expectKey, Listener, sleep, fcgiRequest, UUID,
} from './lib.mjs';

const FRONT = process.env.FRONT_NAME || 'front';
const RUN = `${FRONT}-${Date.now().toString(36)}`;
const MiB = 1024 * 1024;
const CONTENT_MAX = 10 * MiB;
const S = { A: {}, B: {} };
let L = null;
const NIL_UUID = '6b3f2c1e-0000-4000-8000-000000000000';

// ---- helpers --------------------------------------------------------------

async function head(key) {
  const r = await api.get('/changes?since=0&limit=1', key);
  expectStatus(r, 200);
  return r.json.latestSeq;
}

// The head seq of a store before an operation, with every notification
// received so far taken away (so that the next expectation sees only its own).
async function begin(key = S.A.full) {
  await L.take(0, 0);
  return head(key);
}

async function changesSince(key, since) {
  const r = await api.get(`/changes?since=${since}`, key);
  expectStatus(r, 200);
  return r.json.changes;
}

// Exactly n notifications for store, with the seqs after `from`. A
// transaction notifies once, with the seq it committed up to: one operation
// that records several changes (DELETE /files/all) is one notification.
async function expectNotified(store, n, from) {
  const notes = (await L.take(n)).filter((x) => x.payload.store === store);
  assert.equal(notes.length, n, `notifications for ${store}: ${JSON.stringify(notes)}`);
  notes.forEach((x, i) => {
    assert.equal(x.channel, 'sync_changes');
    assert.deepEqual(Object.keys(x.payload).sort(), ['seq', 'store']);
    if (from !== undefined) assert.equal(x.payload.seq, from + i + 1);
  });
  return notes;
}

async function expectQuiet(store) {
  const notes = (await L.quiet(250)).filter((x) => x.payload.store === store);
  assert.deepEqual(notes, [], 'no notification');
}

async function put(path, content, key = S.A.full, headers) {
  return api.put('/files', key, { path, content }, headers);
}

async function snapshot(key) {
  const files = await api.get('/files?include_deleted=true&limit=1000', key);
  expectStatus(files, 200);
  const settings = await api.get('/settings', key);
  expectStatus(settings, 200);
  return { files: files.json, settings: settings.json, head: await head(key) };
}

// ---- health ---------------------------------------------------------------

for (const path of ['/health', '/api/v1/health']) {
  test(`health: GET ${path} is 200 healthy without a key`, async () => {
    const r = await request('GET', path);
    expectStatus(r, 200);
    assert.deepEqual(Object.keys(r.json).sort(), ['database', 'status', 'uptime', 'version']);
    assert.equal(r.json.status, 'healthy');
    assert.equal(r.json.database, 'connected');
    assert.equal(typeof r.json.version, 'string');
    assert.equal(typeof r.json.uptime, 'number');
  });
}

test('health: HEAD /health is 200 without a body', async () => {
  const r = await request('HEAD', '/health');
  assert.equal(r.status, 200);
  assert.equal(r.text, '');
});

// ---- admin: stores and keys ------------------------------------------------

test('admin: POST /admin/stores creates two stores (201 + store)', async () => {
  for (const [k, name] of [['A', `http ${RUN} A`], ['B', `http ${RUN} B`]]) {
    const r = await api.post('/admin/stores', ADMIN, { name });
    expectStatus(r, 201);
    expectStore(r.json);
    assert.equal(r.json.name, name);
    assert.equal(r.json.fileCount, 0);
    assert.equal(r.json.totalSize, 0);
    S[k].id = r.json.id;
  }
});

test('admin: POST /admin/stores accepts a 255-character name and ignores extra members', async () => {
  const name = 'n'.repeat(254) + 'é';
  const r = await api.post('/admin/stores', ADMIN, { name, color: 'red' });
  expectStatus(r, 201);
  assert.equal(r.json.name, name);
  expectStatus(await api.del(`/admin/stores/${r.json.id}`, ADMIN), 204);
  expectError(await api.get(`/admin/stores/${r.json.id}`, ADMIN), 404, 'NOT_FOUND');
});

const PERMS = {
  full: ['read', 'write', 'settings_read', 'settings_write'],
  ro: ['read'],
  wo: ['write'],
  files: ['read', 'write'],
  settings: ['settings_read', 'settings_write'],
  revoked: ['read', 'write'],
};

test('admin: POST /admin/stores/:id/keys creates keys, the key shown once', async () => {
  for (const [name, permissions] of Object.entries(PERMS)) {
    const r = await api.post(`/admin/stores/${S.A.id}/keys`, ADMIN, { name, permissions });
    expectStatus(r, 201);
    expectKey(r.json, true);
    assert.equal(r.json.name, name);
    assert.deepEqual(r.json.permissions, permissions);
    assert.equal(r.json.revokedAt, null);
    assert.ok(r.json.key.startsWith('sk_store_' + S.A.id.replace(/-/g, '').slice(0, 6) + '_'));
    S.A[name] = r.json.key;
    S.A[name + 'Id'] = r.json.id;
  }
  const r = await api.post(`/admin/stores/${S.B.id}/keys`, ADMIN, { name: 'full', permissions: PERMS.full });
  expectStatus(r, 201);
  S.B.full = r.json.key;
  S.B.fullId = r.json.id;
});

test('admin: GET /admin/stores lists the stores; GET /admin/stores/:id gives one', async () => {
  const r = await api.get('/admin/stores', ADMIN);
  expectStatus(r, 200);
  assert.deepEqual(Object.keys(r.json), ['stores']);
  const a = r.json.stores.find((s) => s.id === S.A.id);
  assert.ok(a, 'store A listed');
  r.json.stores.forEach((s) => expectStore(s));
  const one = await api.get(`/admin/stores/${S.A.id}`, ADMIN);
  expectStatus(one, 200);
  expectStore(one.json);
  assert.deepEqual(one.json, a);
  const upper = await api.get(`/admin/stores/${S.A.id.toUpperCase()}`, ADMIN);
  expectStatus(upper, 200);
  assert.equal(upper.json.id, S.A.id);
});

test('admin: GET /admin/stores/:id/keys lists keys without the key or its hash', async () => {
  const r = await api.get(`/admin/stores/${S.A.id}/keys`, ADMIN);
  expectStatus(r, 200);
  assert.deepEqual(Object.keys(r.json), ['keys']);
  assert.equal(r.json.keys.length, Object.keys(PERMS).length);
  for (const k of r.json.keys) {
    expectKey(k, false);
    assert.ok(!/sk_store_/.test(JSON.stringify(k).replace(k.prefix, '')), 'no key material');
  }
  const full = r.json.keys.find((k) => k.id === S.A.fullId);
  assert.equal(full.prefix, S.A.full.slice(0, 16));
  const one = await api.get(`/admin/stores/${S.A.id}/keys/${S.A.fullId}`, ADMIN);
  expectStatus(one, 200);
  expectKey(one.json, false);
  assert.equal(one.json.id, S.A.fullId);
});

test('admin: DELETE /admin/stores/:id/keys/:keyId revokes (204); the key then gets 401', async () => {
  expectStatus(await api.get('/files', S.A.revoked), 200);
  expectStatus(await api.del(`/admin/stores/${S.A.id}/keys/${S.A.revokedId}`, ADMIN), 204);
  const k = await api.get(`/admin/stores/${S.A.id}/keys/${S.A.revokedId}`, ADMIN);
  expectStatus(k, 200);
  assert.match(k.json.revokedAt, /Z$/);
  expectError(await api.get('/files', S.A.revoked), 401, 'UNAUTHORIZED');
  // revoking again is still a 204 (idempotent)
  expectStatus(await api.del(`/admin/stores/${S.A.id}/keys/${S.A.revokedId}`, ADMIN), 204);
});

test('admin: lastUsedAt is set once a key has been used', async () => {
  expectStatus(await api.get('/files', S.A.ro), 200);
  const k = await api.get(`/admin/stores/${S.A.id}/keys/${S.A.roId}`, ADMIN);
  assert.match(k.json.lastUsedAt, /Z$/);
});

// ---- the LISTEN connection -----------------------------------------------

test('broadcast: a LISTEN sync_changes connection is up', async () => {
  L = new Listener(process.env.DATABASE_URL);
  await L.ready();
  assert.deepEqual(await L.take(0, 0), []);
});

// ---- files: the write path ----------------------------------------------

test('files: POST creates (201 + file object without content) and notifies', async () => {
  const from = await begin();
  const r = await api.post('/files', S.A.full, { path: 'notes/a.md', content: 'hello' });
  expectStatus(r, 201);
  expectFile(r.json, { path: 'notes/a.md', content: 'hello' });
  assert.equal(r.json.extension, 'md');
  assert.equal(r.json.isBinary, false);
  await expectNotified(S.A.id, 1, from);
  const ch = await changesSince(S.A.full, from);
  assert.equal(ch.length, 1);
  assert.equal(ch[0].kind, 'created');
  assert.equal(ch[0].path, 'notes/a.md');
  assert.equal(ch[0].hash, sha256('hello'));
  assert.equal(ch[0].size, 5);
});

test('files: POST on a live path is 409 CONFLICT and changes nothing', async () => {
  const from = await begin();
  expectError(await api.post('/files', S.A.full, { path: 'notes/a.md', content: 'other' }), 409, 'CONFLICT');
  await expectQuiet(S.A.id);
  assert.equal(await head(S.A.full), from);
});

test('files: GET ?path= gives the file with content and a quoted ETag', async () => {
  const r = await api.get(`/files?path=${q('notes/a.md')}`, S.A.full);
  expectStatus(r, 200);
  expectFile(r.json, { path: 'notes/a.md', content: 'hello', withContent: true });
  assert.equal(r.headers.etag, `"${sha256('hello')}"`);
});

test('files: If-None-Match (quoted, bare, weak, in a list) gives 304 with the ETag', async () => {
  const h = sha256('hello');
  for (const inm of [`"${h}"`, h, `W/"${h}"`, `"sha256:${'0'.repeat(64)}", "${h}"`, '*']) {
    const r = await api.get(`/files?path=notes/a.md`, S.A.full, { 'If-None-Match': inm });
    expectStatus(r, 304);
    assert.equal(r.headers.etag, `"${h}"`, inm);
  }
  const r = await api.get(`/files?path=notes/a.md`, S.A.full, { 'If-None-Match': `"sha256:${'1'.repeat(64)}"` });
  expectStatus(r, 200);
  assert.equal(r.json.content, 'hello');
});

test('files: HEAD ?path= is 200 with the ETag and no body', async () => {
  const r = await api.head('/files?path=notes/a.md', S.A.full);
  assert.equal(r.status, 200);
  assert.equal(r.text, '');
  assert.equal(r.headers.etag, `"${sha256('hello')}"`);
});

test('files: PUT with the same content is 200 and a no-op (no seq, no notification)', async () => {
  const from = await begin();
  const before = (await api.get('/files?path=notes/a.md', S.A.full)).json;
  const r = await put('notes/a.md', 'hello');
  expectStatus(r, 200);
  expectFile(r.json, { path: 'notes/a.md', content: 'hello' });
  assert.equal(r.json.updatedAt, before.updatedAt);
  await expectQuiet(S.A.id);
  assert.equal(await head(S.A.full), from);
});

test('files: PUT updates (200, modified) and creates (201, created), each notified', async () => {
  let from = await begin();
  const r = await put('notes/a.md', 'hello, world');
  expectStatus(r, 200);
  expectFile(r.json, { path: 'notes/a.md', content: 'hello, world' });
  await expectNotified(S.A.id, 1, from);
  let ch = await changesSince(S.A.full, from);
  assert.deepEqual(ch.map((c) => c.kind), ['modified']);
  from = await begin();
  const c = await put('notes/b.md', 'bee');
  expectStatus(c, 201);
  expectFile(c.json, { path: 'notes/b.md', content: 'bee' });
  await expectNotified(S.A.id, 1, from);
  ch = await changesSince(S.A.full, from);
  assert.deepEqual(ch.map((x) => [x.kind, x.path]), [['created', 'notes/b.md']]);
});

test('files: PUT ignores unknown body members', async () => {
  const r = await api.put('/files', S.A.full, { path: 'notes/extra.md', content: 'x', mtime: 1700000000, encoding: 'utf8', nested: { a: [1] } });
  expectStatus(r, 201);
  expectFile(r.json, { path: 'notes/extra.md', content: 'x' });
});

test('files: PUT If-Match with the current hash (quoted or bare) writes', async () => {
  let cur = sha256('hello, world');
  let r = await put('notes/a.md', 'v2', S.A.full, { 'If-Match': `"${cur}"` });
  expectStatus(r, 200);
  cur = sha256('v2');
  r = await put('notes/a.md', 'v3', S.A.full, { 'If-Match': cur });
  expectStatus(r, 200);
  assert.equal(r.json.hash, sha256('v3'));
  r = await put('notes/a.md', 'v4', S.A.full, { 'If-Match': '*' });
  expectStatus(r, 200);
  assert.equal(r.json.hash, sha256('v4'));
});

test('files: PUT If-Match with another hash is 412 with details.currentHash', async () => {
  const from = await begin();
  for (const im of [`"${sha256('nope')}"`, 'garbage', '"sha256:XYZ"']) {
    const e = expectError(await put('notes/a.md', 'v5', S.A.full, { 'If-Match': im }), 412, 'PRECONDITION_FAILED');
    assert.deepEqual(e.details, { currentHash: sha256('v4') }, im);
  }
  await expectQuiet(S.A.id);
  assert.equal(await head(S.A.full), from);
  const g = await api.get('/files?path=notes/a.md', S.A.full);
  assert.equal(g.json.content, 'v4');
});

test('files: PUT If-Match on a missing file is 412 with currentHash null', async () => {
  for (const im of [`"${sha256('x')}"`, '*']) {
    const e = expectError(await put('notes/missing.md', 'x', S.A.full, { 'If-Match': im }), 412, 'PRECONDITION_FAILED');
    assert.deepEqual(e.details, { currentHash: null });
  }
  expectError(await api.get('/files?path=notes/missing.md', S.A.full), 404, 'NOT_FOUND');
});

test('files: PUT If-None-Match: * is 412 on a live file and 201 on a new path', async () => {
  const e = expectError(await put('notes/a.md', 'clobber', S.A.full, { 'If-None-Match': '*' }), 412, 'PRECONDITION_FAILED');
  assert.deepEqual(e.details, { currentHash: sha256('v4') });
  const r = await put('daily/2024-01-15.md', '', S.A.full, { 'If-None-Match': '*' });
  expectStatus(r, 201);
  expectFile(r.json, { path: 'daily/2024-01-15.md', content: '' });
});

test('files: PATCH renames (200 + file at newPath); the old path is a tombstone', async () => {
  const from = await begin();
  const r = await api.patch('/files', S.A.full, { path: 'notes/b.md', newPath: 'notes/renamed.md' });
  expectStatus(r, 200);
  expectFile(r.json, { path: 'notes/renamed.md', content: 'bee' });
  await expectNotified(S.A.id, 1, from);
  const ch = await changesSince(S.A.full, from);
  assert.equal(ch.length, 1);
  assert.equal(ch[0].kind, 'renamed');
  assert.equal(ch[0].path, 'notes/renamed.md');
  assert.equal(ch[0].oldPath, 'notes/b.md');
  expectError(await api.get('/files?path=notes/b.md', S.A.full), 404, 'NOT_FOUND');
  const g = await api.get('/files?path=notes/renamed.md', S.A.full);
  assert.equal(g.json.content, 'bee');
  const l = await api.get(`/files?path=${q('notes/b.md')}&include_deleted=true`, S.A.full);
  expectStatus(l, 200);
  assert.equal(l.json.files.length, 1);
  expectFile(l.json.files[0], { path: 'notes/b.md', content: '', tomb: true });
});

test('files: PATCH repeated (old gone, new live) succeeds and changes nothing', async () => {
  const from = await begin();
  const r = await api.patch('/files', S.A.full, { path: 'notes/b.md', newPath: 'notes/renamed.md' });
  expectStatus(r, 200);
  expectFile(r.json, { path: 'notes/renamed.md', content: 'bee' });
  await expectQuiet(S.A.id);
  assert.equal(await head(S.A.full), from);
});

test('files: PATCH of a missing path onto a free path creates an empty file', async () => {
  const from = await begin();
  const r = await api.patch('/files', S.A.full, { path: 'ghost/x.md', newPath: 'ghost/y.md' });
  expectStatus(r, 200);
  expectFile(r.json, { path: 'ghost/y.md', content: '' });
  await expectNotified(S.A.id, 1, from);
  const ch = await changesSince(S.A.full, from);
  assert.deepEqual(ch.map((c) => [c.kind, c.path]), [['created', 'ghost/y.md']]);
});

test('files: DELETE ?path= is 204; again and on an absent path still 204, recording nothing', async () => {
  let from = await begin();
  expectStatus(await api.del('/files?path=ghost/y.md', S.A.full), 204);
  await expectNotified(S.A.id, 1, from);
  const ch = await changesSince(S.A.full, from);
  assert.deepEqual(ch.map((c) => [c.kind, c.path]), [['deleted', 'ghost/y.md']]);
  expectError(await api.get('/files?path=ghost/y.md', S.A.full), 404, 'NOT_FOUND');
  from = await begin();
  expectStatus(await api.del('/files?path=ghost/y.md', S.A.full), 204);
  expectStatus(await api.del('/files?path=never/was.md', S.A.full), 204);
  await expectQuiet(S.A.id);
  assert.equal(await head(S.A.full), from);
});

test('files: POST on a tombstone revives it (201, recorded as created)', async () => {
  const from = await begin();
  const r = await api.post('/files', S.A.full, { path: 'ghost/y.md', content: 'back' });
  expectStatus(r, 201);
  expectFile(r.json, { path: 'ghost/y.md', content: 'back' });
  await expectNotified(S.A.id, 1, from);
  const ch = await changesSince(S.A.full, from);
  assert.deepEqual(ch.map((c) => c.kind), ['created']);
});

test('files: extension and isBinary follow DESIGN §4', async () => {
  const cases = [
    ['img/PHOTO.JPG', 'aGVsbG8=', 'jpg', true],
    ['img/pic.png', 'iVBORw0KGgo=', 'png', true],
    ['arch/a.tar.GZ', 'H4sI', 'gz', true],
    ['.gitignore', 'node_modules\n', null, false],
    ['.env.local', 'A=1', 'local', false],
    ['dir.d/noext', 'x', null, false],
    ['trailing.', 'x', null, false],
    ['.obsidian/app.json', '{}', 'json', false],
  ];
  for (const [path, content, ext, bin] of cases) {
    const r = await put(path, content);
    expectStatus(r, 201);
    expectFile(r.json, { path, content });
    assert.equal(r.json.extension, ext, path);
    assert.equal(r.json.isBinary, bin, path);
  }
});

test('files: non-ASCII paths and "+" as a space in the query', async () => {
  const path = '日本語/ノート é.md';
  expectStatus(await put(path, 'こんにちは'), 201);
  const r = await api.get(`/files?path=${q(path)}`, S.A.full);
  expectStatus(r, 200);
  expectFile(r.json, { path, content: 'こんにちは', withContent: true });
  expectStatus(await put('plus test.md', 'p'), 201);
  const p = await api.get('/files?path=plus+test.md', S.A.full);
  expectStatus(p, 200);
  assert.equal(p.json.path, 'plus test.md');
  const lit = await api.get(`/files?path=${q('a+b.md')}`, S.A.full);
  expectError(lit, 404, 'NOT_FOUND');
});

test('files: a 1000-character path is accepted', async () => {
  const path = 'long/' + 'x'.repeat(992) + '.md';
  assert.equal(path.length, 1000);
  expectStatus(await put(path, 'long'), 201);
  const r = await api.get(`/files?path=${q(path)}`, S.A.full);
  expectStatus(r, 200);
  assert.equal(r.json.path, path);
  const u = 'é'.repeat(997) + '.md';
  expectStatus(await put(u, 'accents'), 201);
});

test('files: content of exactly 10 MiB is accepted and read back whole', async () => {
  const content = 'a'.repeat(CONTENT_MAX - 3) + 'end';
  const r = await put('big/ten.md', content);
  expectStatus(r, 201);
  assert.equal(r.json.size, CONTENT_MAX);
  assert.equal(r.json.hash, sha256(content));
  const g = await api.get('/files?path=big/ten.md', S.A.full);
  expectStatus(g, 200);
  assert.equal(g.json.content.length, CONTENT_MAX);
  assert.equal(sha256(g.json.content), r.json.hash);
});

test('files: content with quotes, newlines, control characters and "/" round-trips', async () => {
  const content = 'a "quote" \\ back\nline\ttab \u0001\u001f </script> é 😀 \u2028';
  expectStatus(await put('notes/escape.md', content), 201);
  const g = await api.get('/files?path=notes/escape.md', S.A.full);
  assert.equal(g.json.content, content);
  assert.equal(g.json.hash, sha256(content));
  assert.ok(!g.text.includes('\\/'), 'no escaped slash');
});

// ---- listing -----------------------------------------------------------------

const LIST = {
  'list/a.md': 'Alpha % one',
  'list/b.txt': 'beta_two',
  'list/c.png': 'QUxQSEE=',
  'list/d.MD': 'Delta \\ back',
  'list/sub/e.md': 'ALPHA upper',
  'list/100%.md': 'percent',
  'list/a_b.md': 'under',
  'list/axb.md': 'no under',
  "list/it's.md": 'quote',
};
const LIVE = () => Object.keys(LIST).filter((p) => p !== 'list/axb.md').sort(bytewise);
function bytewise(a, b) {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function listPaths(query, key = S.A.full) {
  const r = await api.get(`/files?${query}`, key);
  expectStatus(r, 200);
  assert.deepEqual(Object.keys(r.json).sort(), ['files', 'limit', 'offset', 'total']);
  r.json.files.forEach((f) => expectFile(f, { tomb: !!f.expiresAt }));
  return r.json;
}

test('list: setup (one deleted)', async () => {
  for (const [p, c] of Object.entries(LIST)) expectStatus(await put(p, c), 201);
  expectStatus(await api.del(`/files?path=${q('list/axb.md')}`, S.A.full), 204);
});

test('list: ordered by path, no content, total/limit/offset, default limit 100', async () => {
  const all = await listPaths('path=list/&limit=1000');
  assert.deepEqual(all.files.map((f) => f.path), LIVE());
  assert.equal(all.total, LIVE().length);
  assert.equal(all.limit, 1000);
  assert.equal(all.offset, 0);
  const d = await listPaths('');
  assert.equal(d.limit, 100);
  assert.equal(d.offset, 0);
  const paths = d.files.map((f) => f.path);
  assert.deepEqual(paths, [...paths].sort(bytewise));
});

test('list: limit and offset page through; total counts the filtered set', async () => {
  const p = await listPaths('path=list/&limit=2&offset=1');
  assert.deepEqual(p.files.map((f) => f.path), LIVE().slice(1, 3));
  assert.equal(p.total, LIVE().length);
  assert.equal(p.limit, 2);
  assert.equal(p.offset, 1);
  const past = await listPaths('path=list/&limit=5&offset=1000');
  assert.deepEqual(past.files, []);
  assert.equal(past.total, LIVE().length);
  const one = await listPaths('path=list/&extension=md&limit=1');
  assert.equal(one.files.length, 1);
  assert.equal(one.total, LIVE().filter((x) => /\.md$/i.test(x)).length);
});

test('list: include_deleted (true/false/1/0) shows tombstones with expiresAt', async () => {
  for (const [v, withDel] of [['true', true], ['1', true], ['false', false], ['0', false]]) {
    const r = await listPaths(`path=list/&include_deleted=${v}`);
    const want = withDel ? [...LIVE(), 'list/axb.md'].sort(bytewise) : LIVE();
    assert.deepEqual(r.files.map((f) => f.path), want, v);
    assert.equal(r.total, want.length);
  }
  const r = await listPaths('path=list/axb&include_deleted=true');
  assert.match(r.files[0].expiresAt, /Z$/);
  assert.equal(r.files[0].size, 0);
  assert.equal(r.files[0].hash, sha256(''));
});

test('list: extension takes a case-insensitive comma list', async () => {
  let r = await listPaths('path=list/&extension=md');
  assert.deepEqual(r.files.map((f) => f.path), LIVE().filter((p) => /\.md$/i.test(p)));
  r = await listPaths('path=list/&extension=MD,png');
  assert.deepEqual(r.files.map((f) => f.path), LIVE().filter((p) => /\.(md|png)$/i.test(p)));
  r = await listPaths('path=list/&extension=txt');
  assert.deepEqual(r.files.map((f) => f.path), ['list/b.txt']);
});

test('list: content_contains is case-insensitive and text-only; path_contains is case-sensitive', async () => {
  let r = await listPaths('path=list/&content_contains=alpha');
  assert.deepEqual(r.files.map((f) => f.path), ['list/a.md', 'list/sub/e.md']);
  r = await listPaths('path=list/&content_contains=QUxQ');      // only in the binary file
  assert.deepEqual(r.files, []);
  r = await listPaths('path=list/&path_contains=sub');
  assert.deepEqual(r.files.map((f) => f.path), ['list/sub/e.md']);
  r = await listPaths('path=list/&path_contains=SUB');
  assert.deepEqual(r.files, []);
});

test('list: is_binary (true/false/1/0)', async () => {
  for (const [v, bin] of [['true', true], ['1', true], ['false', false], ['0', false]]) {
    const r = await listPaths(`path=list/&is_binary=${v}`);
    assert.deepEqual(r.files.map((f) => f.path), LIVE().filter((p) => p.endsWith('.png') === bin), v);
  }
});

// Every filter matches %, _, \ and SQL text literally.
const WILD = [
  ['path', '%', []],
  ['path', 'list/a_', ['list/a_b.md']],
  ['path', 'list/100%', ['list/100%.md']],
  ['path', "list/it'", ["list/it's.md"]],
  ['path', "' OR '1'='1", []],
  ['path', '\\', []],
  ['path_contains', '%', ['list/100%.md']],
  ['path_contains', '_', ['list/a_b.md']],
  ['path_contains', '\\', []],
  ['path_contains', "'", ["list/it's.md"]],
  ['path_contains', "x' OR 'a'='a", []],
  ['content_contains', '%', ['list/a.md']],
  ['content_contains', '_', ['list/b.txt']],
  ['content_contains', '\\', ['list/d.MD']],
  ['content_contains', "'; DROP TABLE files; --", []],
  ['extension', '%', []],
  ['extension', '_d', []],
  ['extension', '\\', []],
  ['extension', "md') OR ('1'='1", []],
];
for (const [name, value, want] of WILD) {
  test(`list: ${name}=${JSON.stringify(value)} matches literally`, async () => {
    const pre = name === 'path' ? '' : 'path=list/&';
    const r = await listPaths(`${pre}${name}=${q(value)}&limit=1000`);
    assert.deepEqual(r.files.map((f) => f.path), want);
    assert.equal(r.total, want.length);
  });
}

// ---- changes -------------------------------------------------------------------

test('changes: the feed of store B records exactly what happened, each notified', async () => {
  const k = S.B.full;
  assert.equal(await begin(k), 0);
  const ops = [
    () => api.put('/files', k, { path: 'x.md', content: '1' }),          // created
    () => api.put('/files', k, { path: 'x.md', content: '1' }),          // nothing
    () => api.put('/files', k, { path: 'x.md', content: '2' }),          // modified
    () => api.patch('/files', k, { path: 'x.md', newPath: 'y.md' }),     // renamed
    () => api.del('/files?path=y.md', k),                                 // deleted
    () => api.del('/files?path=y.md', k),                                 // nothing
    () => api.post('/files', k, { path: 'y.md', content: '3' }),         // created (revived)
    () => api.put('/files', k, { path: 'z.md', content: '4' }),          // created
    () => api.del('/files/all', k),                                       // deleted, deleted
    () => api.put('/settings', k, { path: 'b-only.json', content: '{}' }), // nothing (settings)
  ];
  for (const op of ops) assert.ok((await op()).status < 300);
  // one notification per committing operation: DELETE /files/all made two changes
  const notes = await expectNotified(S.B.id, 7);
  assert.deepEqual(notes.map((n) => n.payload.seq), [1, 2, 3, 4, 5, 6, 8]);
  const r = await api.get('/changes?since=0', k);
  expectStatus(r, 200);
  assert.deepEqual(Object.keys(r.json).sort(), ['changes', 'latestSeq', 'resync']);
  assert.equal(r.json.latestSeq, 8);
  assert.equal(r.json.resync, false);
  assert.deepEqual(r.json.changes.map((c) => [c.seq, c.kind, c.path, c.oldPath]), [
    [1, 'created', 'x.md', undefined],
    [2, 'modified', 'x.md', undefined],
    [3, 'renamed', 'y.md', 'x.md'],
    [4, 'deleted', 'y.md', undefined],
    [5, 'created', 'y.md', undefined],
    [6, 'created', 'z.md', undefined],
    [7, 'deleted', 'y.md', undefined],
    [8, 'deleted', 'z.md', undefined],
  ].map(([s, kind, path, old]) => [s, kind, path, old]));
  for (const c of r.json.changes) {
    for (const m of Object.keys(c)) assert.ok(['seq', 'kind', 'path', 'oldPath', 'hash', 'size', 'at'].includes(m), m);
    assert.match(c.at, /Z$/);
  }
  assert.equal(r.json.changes[1].hash, sha256('2'));
  assert.equal(r.json.changes[1].size, 1);
});

test('changes: limit pages, latestSeq is the head whatever the page, since defaults to 0', async () => {
  const k = S.B.full;
  let r = await api.get('/changes?since=0&limit=3', k);
  assert.deepEqual(r.json.changes.map((c) => c.seq), [1, 2, 3]);
  assert.equal(r.json.latestSeq, 8);
  r = await api.get('/changes?since=3&limit=2', k);
  assert.deepEqual(r.json.changes.map((c) => c.seq), [4, 5]);
  r = await api.get('/changes', k);
  assert.equal(r.json.changes.length, 8);
  r = await api.get('/changes?since=8', k);
  assert.deepEqual(r.json, { changes: [], latestSeq: 8, resync: false });
});

test('changes: since beyond the head is resync with no changes', async () => {
  const r = await api.get('/changes?since=9', S.B.full);
  expectStatus(r, 200);
  assert.deepEqual(r.json, { changes: [], latestSeq: 8, resync: true });
});

test('files: DELETE /files/all soft-deletes every live file: {deleted: N}', async () => {
  const k = S.B.full;
  for (const p of ['d1.md', 'd2.md', 'd3.md']) expectStatus(await api.put('/files', k, { path: p, content: p }), 201);
  const from = await begin(k);
  const r = await api.del('/files/all', k);
  expectStatus(r, 200);
  assert.deepEqual(r.json, { deleted: 3 });
  const [n] = await expectNotified(S.B.id, 1);
  assert.equal(n.payload.seq, from + 3);
  const ch = await changesSince(k, from);
  assert.deepEqual(ch.map((c) => [c.seq, c.kind]), [[from + 1, 'deleted'], [from + 2, 'deleted'], [from + 3, 'deleted']]);
  const l = await listPaths('', k);
  assert.deepEqual(l.files, []);
  assert.deepEqual(await api.del('/files/all', k).then((x) => x.json), { deleted: 0 });
});

// ---- settings ----------------------------------------------------------------------

test('settings: PUT 201/200, GET list and one (ETag, 304), never notified, no change rows', async () => {
  const k = S.A.full;
  const from = await begin(k);
  let r = await api.put('/settings', k, { path: 'app.json', content: '{"a":1}' });
  expectStatus(r, 201);
  expectFile(r.json, { path: 'app.json', content: '{"a":1}' });
  r = await api.put('/settings', k, { path: 'app.json', content: '{"a":1}' });
  expectStatus(r, 200);
  r = await api.put('/settings', k, { path: 'app.json', content: '{"a":2}' });
  expectStatus(r, 200);
  assert.equal(r.json.hash, sha256('{"a":2}'));
  expectStatus(await api.put('/settings', k, { path: 'plugins/x/data.json', content: '[]', extra: true }), 201);
  await expectQuiet(S.A.id);
  assert.equal(await head(k), from);
  const l = await api.get('/settings', k);
  expectStatus(l, 200);
  assert.deepEqual(Object.keys(l.json).sort(), ['settings', 'total']);
  assert.deepEqual(l.json.settings.map((f) => f.path), ['app.json', 'plugins/x/data.json']);
  assert.equal(l.json.total, 2);
  l.json.settings.forEach((f) => expectFile(f));
  const one = await api.get('/settings?path=app.json', k);
  expectStatus(one, 200);
  expectFile(one.json, { path: 'app.json', content: '{"a":2}', withContent: true });
  assert.equal(one.headers.etag, `"${sha256('{"a":2}')}"`);
  expectStatus(await api.get('/settings?path=app.json', k, { 'If-None-Match': one.headers.etag }), 304);
  expectError(await api.get('/files?path=app.json', k), 404, 'NOT_FOUND');
});

test('settings: DELETE ?path= is 204 (also when absent); DELETE /settings/all gives {deleted}', async () => {
  const k = S.A.full;
  expectStatus(await api.del('/settings?path=plugins/x/data.json', k), 204);
  expectError(await api.get('/settings?path=plugins/x/data.json', k), 404, 'NOT_FOUND');
  expectStatus(await api.del('/settings?path=plugins/x/data.json', k), 204);
  expectStatus(await api.put('/settings', k, { path: 'hotkeys.json', content: '{}' }), 201);
  const r = await api.del('/settings/all', k);
  expectStatus(r, 200);
  assert.deepEqual(r.json, { deleted: 2 });
  assert.deepEqual((await api.get('/settings', k)).json, { settings: [], total: 0 });
  expectStatus(await api.put('/settings', k, { path: 'app.json', content: '{"kept":true}' }), 201);
  await expectQuiet(S.A.id);
});

// ---- permissions that succeed -------------------------------------------------------

test('auth: a write-only key writes; a read-only key reads; a settings key reads settings', async () => {
  expectStatus(await put('perm/wo.md', 'w', S.A.wo), 201);
  expectStatus(await api.get('/files?path=perm/wo.md', S.A.ro), 200);
  expectStatus(await api.get('/changes', S.A.ro), 200);
  expectStatus(await api.get('/settings', S.A.settings), 200);
  expectStatus(await api.get('/files', S.A.files), 200);
});

// ---- CORS ----------------------------------------------------------------------------

test('cors: a preflight from an allowed origin is 204 with the allow headers', async () => {
  for (const origin of ['app://obsidian.md', 'capacitor://localhost', 'http://localhost']) {
    const r = await request('OPTIONS', `${V1}/files`, {
      headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'x-api-key,content-type' },
    });
    assert.equal(r.status, 204, origin);
    assert.equal(r.text, '');
    assert.equal(r.headers['access-control-allow-origin'], origin);
    assert.equal(r.headers['access-control-allow-methods'], 'GET,POST,PUT,PATCH,DELETE,OPTIONS');
    assert.equal(r.headers['access-control-allow-headers'], 'Content-Type,X-API-Key,If-Match,If-None-Match');
    assert.match(r.headers.vary || '', /Origin/);
  }
});

test('cors: a preflight from another origin carries no Access-Control-* header', async () => {
  const r = await request('OPTIONS', `${V1}/files`, { headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'PUT' } });
  assert.equal(r.status, 204);
  for (const h of Object.keys(r.headers)) assert.ok(!h.startsWith('access-control-'), h);
});

test('cors: every answer to an allowed origin carries Allow-Origin and Vary, errors too', async () => {
  const o = { Origin: 'app://obsidian.md' };
  for (const r of [
    await request('GET', '/health', { headers: o }),
    await request('GET', `${V1}/files`, { key: S.A.full, headers: o }),
    await request('GET', `${V1}/files`, { headers: o }),
    await request('GET', `${V1}/nope`, { headers: o }),
    await request('PUT', `${V1}/files`, { key: S.A.full, raw: '{', headers: o }),
  ]) {
    assert.equal(r.headers['access-control-allow-origin'], 'app://obsidian.md', String(r.status));
    assert.match(r.headers.vary || '', /Origin/);
    assert.match(r.headers['access-control-expose-headers'] || '', /ETag/);
  }
  const other = await request('GET', '/health', { headers: { Origin: 'https://evil.example' } });
  assert.equal(other.headers['access-control-allow-origin'], undefined);
});

test('cors: OPTIONS on an unknown route is 404', async () => {
  expectError(await request('OPTIONS', `${V1}/nope`, { headers: { Origin: 'app://obsidian.md' } }), 404, 'NOT_FOUND');
});

// ---- the bad-input battery: documented answer, and store A left exactly as it was ----------

const BAD_PATHS = [
  ['..', '../a.md'], ['.. inside', 'a/../b.md'], ['. segment', './a.md'], ['. inside', 'a/./b.md'],
  ['leading /', '/abs.md'], ['empty segment', 'a//b.md'], ['trailing /', 'dir/'], ['empty', ''],
  ['only .', '.'], ['only ..', '..'], ['C0 control', 'a\u0001b.md'], ['newline', 'a\nb.md'],
  ['tab', 'a\tb.md'], ['DEL', 'a\u007fb.md'], ['C1 control', 'a\u0085b.md'], ['NUL', 'a\u0000b.md'],
  ['<', 'a<b.md'], ['>', 'a>b.md'], [':', 'a:b.md'], ['"', 'a"b.md'], ['|', 'a|b.md'],
  ['?', 'a?b.md'], ['*', 'a*b.md'], ['backslash', 'a\\b.md'],
  ['1001 characters', 'p/' + 'x'.repeat(996) + '.md'], ['1001 two-byte characters', 'é'.repeat(998) + '.md'],
];
const battery = [];
const bad = (name, run, status, code) => battery.push({ name, run, status, code });
const body = (method, path, raw, key) => () => request(method, V1 + path, { key: key ?? S.A.full, raw, headers: { 'Content-Type': 'application/json' } });

// JSON bodies
const MALFORMED = [
  ['truncated object', '{"path":'], ['truncated string', '{"path":"m.md","content":"abc'],
  ['unquoted key', '{path:"m.md",content:"x"}'], ['single quotes', "{'path':'m.md','content':'x'}"],
  ['trailing comma', '{"path":"m.md","content":"x",}'], ['array', '[]'], ['string', '"text"'],
  ['null', 'null'], ['number', '42'], ['empty', ''], ['spaces', '   '],
  ['two values', '{"path":"m.md","content":"x"} {}'], ['trailing garbage', '{"path":"m.md","content":"x"}garbage'],
  ['comment', '{"path":"m.md", /* c */ "content":"x"}'], ['NaN', '{"path":"m.md","content":NaN}'],
  ['deep nesting', '{"path":"m.md","content":"x","n":' + '['.repeat(100) + ']'.repeat(100) + '}'],
];
for (const [name, raw] of MALFORMED) {
  bad(`POST /files, malformed JSON: ${name}`, body('POST', '/files', raw), 400, 'VALIDATION_ERROR');
  bad(`PUT /files, malformed JSON: ${name}`, body('PUT', '/files', raw), 400, 'VALIDATION_ERROR');
}
for (const [name, raw] of MALFORMED.slice(0, 6)) {
  bad(`PATCH /files, malformed JSON: ${name}`, body('PATCH', '/files', raw), 400, 'VALIDATION_ERROR');
  bad(`PUT /settings, malformed JSON: ${name}`, body('PUT', '/settings', raw), 400, 'VALIDATION_ERROR');
  bad(`POST /admin/stores, malformed JSON: ${name}`, body('POST', '/admin/stores', raw, ADMIN), 400, 'VALIDATION_ERROR');
}
const utf8Bad = (bytes) => Buffer.concat([Buffer.from('{"path":"m.md","content":"a'), Buffer.from(bytes), Buffer.from('b"}')]);
for (const [name, bytes] of [['0xFF', [0xff]], ['overlong /', [0xc0, 0xaf]], ['surrogate', [0xed, 0xa0, 0x80]],
  ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]], ['truncated sequence', [0xe3, 0x81]]]) {
  bad(`PUT /files, invalid UTF-8 in the body: ${name}`, body('PUT', '/files', utf8Bad(bytes)), 400, 'VALIDATION_ERROR');
}
bad('PUT /files, NUL in content ("\\u0000")', body('PUT', '/files', '{"path":"m.md","content":"a\\u0000b"}'), 400, 'VALIDATION_ERROR');
bad('PUT /settings, NUL in content', body('PUT', '/settings', '{"path":"m.json","content":"\\u0000"}'), 400, 'VALIDATION_ERROR');
const TYPES = [
  ['path is a number', { path: 1, content: 'x' }], ['content is a number', { path: 'm.md', content: 5 }],
  ['content is null', { path: 'm.md', content: null }], ['content is an object', { path: 'm.md', content: {} }],
  ['content is an array', { path: 'm.md', content: ['x'] }], ['content is true', { path: 'm.md', content: true }],
  ['path is null', { path: null, content: 'x' }], ['path is an array', { path: ['m.md'], content: 'x' }],
  ['missing path', { content: 'x' }], ['missing content', { path: 'm.md' }], ['empty object', {}],
  ['extra member but no content', { path: 'm.md', text: 'x' }],
];
for (const [name, obj] of TYPES) {
  bad(`POST /files: ${name}`, body('POST', '/files', JSON.stringify(obj)), 400, 'VALIDATION_ERROR');
  bad(`PUT /files: ${name}`, body('PUT', '/files', JSON.stringify(obj)), 400, 'VALIDATION_ERROR');
  bad(`PUT /settings: ${name}`, body('PUT', '/settings', JSON.stringify(obj)), 400, 'VALIDATION_ERROR');
}
for (const [name, obj] of [['missing newPath', { path: 'notes/a.md' }], ['missing path', { newPath: 'n.md' }],
  ['newPath is a number', { path: 'notes/a.md', newPath: 7 }], ['path is null', { path: null, newPath: 'n.md' }]]) {
  bad(`PATCH /files: ${name}`, body('PATCH', '/files', JSON.stringify(obj)), 400, 'VALIDATION_ERROR');
}
for (const [name, obj] of [['missing name', {}], ['name is a number', { name: 3 }], ['empty name', { name: '' }],
  ['256-character name', { name: 'n'.repeat(256) }], ['control character in name', { name: 'a\u0007b' }]]) {
  bad(`POST /admin/stores: ${name}`, body('POST', '/admin/stores', JSON.stringify(obj), ADMIN), 400, 'VALIDATION_ERROR');
}
for (const [name, obj] of [['empty permissions', { name: 'k', permissions: [] }],
  ['duplicate permission', { name: 'k', permissions: ['read', 'read'] }],
  ['unknown permission', { name: 'k', permissions: ['admin'] }],
  ['permissions as a string', { name: 'k', permissions: 'read' }],
  ['permission not a string', { name: 'k', permissions: [1] }],
  ['missing permissions', { name: 'k' }], ['missing name', { permissions: ['read'] }],
  ['empty name', { name: '', permissions: ['read'] }]]) {
  bad(`POST /admin/stores/:id/keys: ${name}`, () => request('POST', `${V1}/admin/stores/${S.A.id}/keys`, { key: ADMIN, json: obj }), 400, 'VALIDATION_ERROR');
}

// paths, in every place a path goes
for (const [name, p] of BAD_PATHS) {
  bad(`PUT /files, bad path: ${name}`, () => put(p, 'x'), 400, 'VALIDATION_ERROR');
  bad(`GET /files?path=, bad path: ${name}`, () => api.get(`/files?path=${q(p)}`, S.A.full), 400, 'VALIDATION_ERROR');
}
for (const [name, p] of BAD_PATHS.filter((_, i) => i % 3 === 0)) {
  bad(`POST /files, bad path: ${name}`, () => api.post('/files', S.A.full, { path: p, content: 'x' }), 400, 'VALIDATION_ERROR');
  bad(`DELETE /files?path=, bad path: ${name}`, () => api.del(`/files?path=${q(p)}`, S.A.full), 400, 'VALIDATION_ERROR');
  bad(`PATCH /files, bad newPath: ${name}`, () => api.patch('/files', S.A.full, { path: 'notes/a.md', newPath: p }), 400, 'VALIDATION_ERROR');
  bad(`PATCH /files, bad path: ${name}`, () => api.patch('/files', S.A.full, { path: p, newPath: 'notes/z.md' }), 400, 'VALIDATION_ERROR');
  bad(`PUT /settings, bad path: ${name}`, () => api.put('/settings', S.A.full, { path: p, content: '{}' }), 400, 'VALIDATION_ERROR');
  bad(`GET /settings?path=, bad path: ${name}`, () => api.get(`/settings?path=${q(p)}`, S.A.full), 400, 'VALIDATION_ERROR');
}
bad('DELETE /files without path', () => api.del('/files', S.A.full), 400, 'VALIDATION_ERROR');
bad('DELETE /settings without path', () => api.del('/settings', S.A.full), 400, 'VALIDATION_ERROR');

// sizes
bad('PUT /files, content of 10 MiB + 1 byte', () => put('big/eleven.md', 'b'.repeat(CONTENT_MAX + 1)), 400, 'VALIDATION_ERROR');
bad('PUT /files, a 33 MiB body', () => request('PUT', `${V1}/files`, { key: S.A.full, raw: Buffer.alloc(33 * MiB, 0x20) }), 413, 'PAYLOAD_TOO_LARGE');

// query strings
// lighttpd repairs a malformed escape itself (a stray '%' becomes %25) before
// sync-api sees it; those cases run where the front passes them raw, and
// always on sync-api's own socket (the fastcgi tests below).
const MALFORMED_ESCAPES = [['bad escape %G1', '%G1'], ['truncated escape %A', 'a%A'], ['lone %', 'a%']];
const REPAIRS_ESCAPES = FRONT === 'lighttpd';
for (const [name, raw] of [['%FF', '%FF'], ['overlong %C0%AF', '%C0%AF'], ['surrogate %ED%A0%80', '%ED%A0%80'],
  ['above U+10FFFF', '%F4%90%80%80'], ['%00', 'a%00b'], ['lone continuation byte', '%80'],
  ...(REPAIRS_ESCAPES ? [] : MALFORMED_ESCAPES)]) {
  bad(`GET /files?path=${raw}: ${name}`, () => api.get(`/files?path=${raw}`, S.A.full), 400, 'VALIDATION_ERROR');
  bad(`GET /files?path_contains=${raw}: ${name}`, () => api.get(`/files?path_contains=${raw}`, S.A.full), 400, 'VALIDATION_ERROR');
  bad(`DELETE /files?path=${raw}: ${name}`, () => api.del(`/files?path=${raw}`, S.A.full), 400, 'VALIDATION_ERROR');
}
bad('GET /files, the same parameter twice', () => api.get('/files?path=a.md&path=b.md', S.A.full), 400, 'VALIDATION_ERROR');
for (const v of ['0', '1001', '-1', 'abc', '1.5', '', '1e2', '%201', '99999999999999999999999']) {
  bad(`GET /files?limit=${v}`, () => api.get(`/files?limit=${v}`, S.A.full), 400, 'VALIDATION_ERROR');
}
for (const v of ['-1', 'x', '', '1.0']) bad(`GET /files?offset=${v}`, () => api.get(`/files?offset=${v}`, S.A.full), 400, 'VALIDATION_ERROR');
for (const v of ['yes', 'TRUE', '2', '']) {
  bad(`GET /files?include_deleted=${v}`, () => api.get(`/files?include_deleted=${v}`, S.A.full), 400, 'VALIDATION_ERROR');
  bad(`GET /files?is_binary=${v}`, () => api.get(`/files?is_binary=${v}`, S.A.full), 400, 'VALIDATION_ERROR');
}
for (const v of ['-1', 'x', '1.5', '99999999999999999999']) bad(`GET /changes?since=${v}`, () => api.get(`/changes?since=${v}`, S.A.full), 400, 'VALIDATION_ERROR');
for (const v of ['0', '1001', 'x']) bad(`GET /changes?limit=${v}`, () => api.get(`/changes?limit=${v}`, S.A.full), 400, 'VALIDATION_ERROR');

// ids
for (const [name, id] of [['not a UUID', 'xyz'], ['no dashes', () => S.A.id.replace(/-/g, '')],
  ['one character more', () => S.A.id + 'a'], ['1000 characters', 'a'.repeat(1000)], ['%FF', '%FF'],
  ['SQL', "'%20OR%20'1'='1"], ['well-formed but unknown', NIL_UUID]]) {
  const v = () => (typeof id === 'function' ? id() : id);
  bad(`GET /admin/stores/:id, ${name}`, () => api.get(`/admin/stores/${v()}`, ADMIN), 404, 'NOT_FOUND');
  bad(`DELETE /admin/stores/:id, ${name}`, () => api.del(`/admin/stores/${v()}`, ADMIN), 404, 'NOT_FOUND');
  bad(`GET /admin/stores/:id/keys, ${name}`, () => api.get(`/admin/stores/${v()}/keys`, ADMIN), 404, 'NOT_FOUND');
  bad(`POST /admin/stores/:id/keys, ${name}`, () => api.post(`/admin/stores/${v()}/keys`, ADMIN, { name: 'k', permissions: ['read'] }), 404, 'NOT_FOUND');
  bad(`GET /admin/stores/A/keys/:keyId, ${name}`, () => api.get(`/admin/stores/${S.A.id}/keys/${v()}`, ADMIN), 404, 'NOT_FOUND');
  bad(`DELETE /admin/stores/A/keys/:keyId, ${name}`, () => api.del(`/admin/stores/${S.A.id}/keys/${v()}`, ADMIN), 404, 'NOT_FOUND');
}
bad('GET a key of store B under store A', () => api.get(`/admin/stores/${S.A.id}/keys/${S.B.fullId}`, ADMIN), 404, 'NOT_FOUND');
bad('DELETE a key of store B under store A', () => api.del(`/admin/stores/${S.A.id}/keys/${S.B.fullId}`, ADMIN), 404, 'NOT_FOUND');

// routes and methods
for (const p of ['/api/v1/nope', '/api/v2/files', '/files', '/api/v1/files/', '/api/v1/files/x', '/api/v1//files',
  '/api/v1/FILES', '/api/v1/admin', '/api/v1/admin/stores/', '/', '/api/v1', '/api/v1/health/', '/healthz',
  '/api/v1/files/all/x', '/api/v1/%66iles/../nope']) {
  bad(`GET ${p} is an unknown route`, () => request('GET', p, { key: S.A.full }), 404, 'NOT_FOUND');
}
for (const [m, p] of [['PUT', '/api/v1/changes'], ['POST', '/api/v1/changes'], ['DELETE', '/api/v1/changes'],
  ['GET', '/api/v1/files/all'], ['POST', '/api/v1/files/all'], ['PUT', '/api/v1/files/all'], ['POST', '/api/v1/settings'],
  ['PATCH', '/api/v1/settings'], ['GET', '/api/v1/settings/all'], ['PUT', '/api/v1/admin/stores'], ['DELETE', '/api/v1/admin/stores'],
  ['PATCH', () => `/api/v1/admin/stores/${S.A.id}`], ['PUT', () => `/api/v1/admin/stores/${S.A.id}/keys/${S.A.fullId}`],
  ['POST', '/health'], ['DELETE', '/api/v1/health'], ['PATCH', '/api/v1/files/all']]) {
  bad(`${m} ${typeof p === 'function' ? p.toString().replace(/.*`(.*)`/, '$1') : p} is 405`, async () => {
    const r = await request(m, typeof p === 'function' ? p() : p, { key: S.A.full, json: ['POST', 'PUT', 'PATCH'].includes(m) ? {} : undefined });
    assert.ok(r.headers.allow && r.headers.allow.includes('OPTIONS'), `Allow: ${r.headers.allow}`);
    return r;
  }, 405, 'METHOD_NOT_ALLOWED');
}

// keys and permissions
for (const [name, key] of [['missing', null], ['garbage', 'nope'], ['empty', ''],
  ['well-formed, unknown', () => 'sk_store_' + S.A.id.replace(/-/g, '').slice(0, 6) + '_' + 'A'.repeat(32)],
  ['revoked', () => S.A.revoked], ['admin key with a wrong character', () => ADMIN.slice(0, -1) + (ADMIN.endsWith('x') ? 'y' : 'x')],
  ['store key with a wrong character', () => S.A.full.slice(0, -1) + (S.A.full.endsWith('x') ? 'y' : 'x')]]) {
  const k = () => (typeof key === 'function' ? key() : key);
  bad(`GET /files with a ${name} key`, () => api.get('/files', k()), 401, 'UNAUTHORIZED');
  bad(`PUT /files with a ${name} key`, () => put('notes/a.md', 'hijack', k()), 401, 'UNAUTHORIZED');
  bad(`GET /admin/stores with a ${name} key`, () => api.get('/admin/stores', k()), 401, 'UNAUTHORIZED');
}
for (const [what, run] of [
  ['POST /files', (k) => api.post('/files', k, { path: 'ro.md', content: 'x' })],
  ['PUT /files', (k) => put('notes/a.md', 'ro', k)],
  ['PATCH /files', (k) => api.patch('/files', k, { path: 'notes/a.md', newPath: 'ro.md' })],
  ['DELETE /files', (k) => api.del('/files?path=notes/a.md', k)],
  ['DELETE /files/all', (k) => api.del('/files/all', k)],
]) {
  bad(`a read-only key: ${what}`, () => run(S.A.ro), 403, 'FORBIDDEN');
  bad(`a settings-only key: ${what}`, () => run(S.A.settings), 403, 'FORBIDDEN');
  bad(`the admin key: ${what}`, () => run(ADMIN), 403, 'FORBIDDEN');
}
for (const [what, run] of [
  ['GET /files (list)', (k) => api.get('/files', k)],
  ['GET /files?path=', (k) => api.get('/files?path=notes/a.md', k)],
  ['GET /changes', (k) => api.get('/changes', k)],
]) {
  bad(`a write-only key: ${what}`, () => run(S.A.wo), 403, 'FORBIDDEN');
  bad(`a settings-only key: ${what}`, () => run(S.A.settings), 403, 'FORBIDDEN');
  bad(`the admin key: ${what}`, () => run(ADMIN), 403, 'FORBIDDEN');
}
for (const [what, run] of [
  ['GET /settings', (k) => api.get('/settings', k)],
  ['GET /settings?path=', (k) => api.get('/settings?path=app.json', k)],
  ['PUT /settings', (k) => api.put('/settings', k, { path: 'app.json', content: '{}' })],
  ['DELETE /settings', (k) => api.del('/settings?path=app.json', k)],
  ['DELETE /settings/all', (k) => api.del('/settings/all', k)],
]) {
  bad(`a files key without settings_*: ${what}`, () => run(S.A.files), 403, 'FORBIDDEN');
  bad(`the admin key: ${what}`, () => run(ADMIN), 403, 'FORBIDDEN');
}
for (const [what, run] of [
  ['GET /admin/stores', (k) => api.get('/admin/stores', k)],
  ['POST /admin/stores', (k) => api.post('/admin/stores', k, { name: 'x' })],
  ['GET /admin/stores/:id', (k) => api.get(`/admin/stores/${S.A.id}`, k)],
  ['DELETE /admin/stores/:id', (k) => api.del(`/admin/stores/${S.A.id}`, k)],
  ['POST /admin/stores/:id/keys', (k) => api.post(`/admin/stores/${S.A.id}/keys`, k, { name: 'x', permissions: ['read'] })],
  ['DELETE /admin/stores/:id/keys/:keyId', (k) => api.del(`/admin/stores/${S.A.id}/keys/${S.A.fullId}`, k)],
]) {
  bad(`a store key on the admin route ${what}`, () => run(S.A.full), 403, 'FORBIDDEN');
}
bad('a key of another store reads a file of A', () => api.get('/files?path=notes/a.md', S.B.full), 404, 'NOT_FOUND');
bad('a key of another store reads a setting of A', () => api.get('/settings?path=app.json', S.B.full), 404, 'NOT_FOUND');

let before = null;
test('battery: snapshot of store A before', async () => {
  before = await snapshot(S.A.full);
  assert.ok(before.files.files.length > 10);
  await L.take(0, 0);
});

for (const b of battery) {
  test(`bad input: ${b.name} -> ${b.status} ${b.code}`, async () => {
    const r = await b.run();
    expectError(r, b.status, b.code);
  });
}

test('battery: a key of another store deletes and lists only in its own store', async () => {
  expectStatus(await api.del('/files?path=notes/a.md', S.B.full), 204);
  expectStatus(await api.del('/settings?path=app.json', S.B.full), 204);
  const l = await listPaths('include_deleted=true&limit=1000', S.B.full);
  assert.ok(!l.files.some((f) => f.path === 'notes/a.md'));
});

test('battery: store A is exactly as it was, and nothing was notified for it', async () => {
  const after = await snapshot(S.A.full);
  assert.deepEqual(after, before);
  await expectQuiet(S.A.id);
  const g = await api.get('/files?path=notes/a.md', S.A.full);
  assert.equal(g.json.content, 'v4');
});

// ---- sync-api's own socket: requests no web server would send ----------------------

const SOCK = process.env.FCGI_SOCKET;
const fcgiEnv = (over) => ({
  REQUEST_METHOD: 'GET', SERVER_PROTOCOL: 'HTTP/1.1', GATEWAY_INTERFACE: 'CGI/1.1', ...over,
});

test('fastcgi: the route from SCRIPT_NAME + PATH_INFO when REQUEST_URI is absent', { skip: !SOCK }, async () => {
  for (const [sn, pi] of [['/api/v1/health', ''], ['', '/api/v1/health'], ['/api/v1', '/health'], ['/health', '']]) {
    const r = await fcgiRequest(SOCK, fcgiEnv({ SCRIPT_NAME: sn, PATH_INFO: pi }));
    assert.equal(r.status, 200, `${sn}|${pi}: ${r.raw}`);
    assert.equal(r.json.status, 'healthy');
  }
  const r = await fcgiRequest(SOCK, fcgiEnv({ SCRIPT_NAME: '/api/v1', PATH_INFO: '/files', QUERY_STRING: 'path=notes%2Fa.md', HTTP_X_API_KEY: S.A.full }));
  assert.equal(r.status, 200, r.raw);
  assert.equal(r.json.content, 'v4');
});

test('fastcgi: REQUEST_URI is percent-decoded strictly; absolute-form is understood', { skip: !SOCK }, async () => {
  let r = await fcgiRequest(SOCK, fcgiEnv({ REQUEST_URI: '/api/v1/%68ealth', SCRIPT_NAME: '/x' }));
  assert.equal(r.status, 200, r.raw);
  r = await fcgiRequest(SOCK, fcgiEnv({ REQUEST_URI: 'http://example.org/api/v1/health?x=1' }));
  assert.equal(r.status, 200, r.raw);
  for (const uri of ['/api/v1/%FFhealth', '/api/v1/health%00', '/api/v1/heal%G1th', '/api/v1/health%']) {
    r = await fcgiRequest(SOCK, fcgiEnv({ REQUEST_URI: uri }));
    assert.equal(r.status, 404, `${uri}: ${r.raw}`);
    assert.equal(r.json.error.code, 'NOT_FOUND');
  }
  r = await fcgiRequest(SOCK, fcgiEnv({ REQUEST_URI: '/api/v1/files?path=notes%2Fa.md', HTTP_X_API_KEY: S.A.full }));
  assert.equal(r.status, 200, r.raw);
  assert.equal(r.json.content, 'v4');
});

test('fastcgi: a malformed escape in QUERY_STRING is 400', { skip: !SOCK }, async () => {
  for (const [, raw] of [...MALFORMED_ESCAPES, ['%FF', '%FF'], ['%00', '%00']]) {
    const r = await fcgiRequest(SOCK, fcgiEnv({ REQUEST_URI: `/api/v1/files?path=${raw}`, QUERY_STRING: `path=${raw}`, HTTP_X_API_KEY: S.A.full }));
    assert.equal(r.status, 400, `${raw}: ${r.raw}`);
    assert.equal(r.json.error.code, 'VALIDATION_ERROR');
  }
});

test('fastcgi: a body shorter than CONTENT_LENGTH is 400 and writes nothing', { skip: !SOCK }, async () => {
  const b = Buffer.from('{"path":"fcgi/short.md","content":"x"}');
  const r = await fcgiRequest(SOCK, fcgiEnv({ REQUEST_METHOD: 'PUT', REQUEST_URI: '/api/v1/files', CONTENT_LENGTH: String(b.length + 50), HTTP_X_API_KEY: S.A.full }), { stdin: b });
  assert.equal(r.status, 400, r.raw);
  assert.equal(r.json.error.code, 'VALIDATION_ERROR');
  expectError(await api.get('/files?path=fcgi/short.md', S.A.full), 404, 'NOT_FOUND');
});

test('fastcgi: never more than CONTENT_LENGTH is read', { skip: !SOCK }, async () => {
  const b = Buffer.from('{"path":"fcgi/exact.md","content":"x"}');
  const r = await fcgiRequest(SOCK, fcgiEnv({ REQUEST_METHOD: 'PUT', REQUEST_URI: '/api/v1/files', CONTENT_LENGTH: String(b.length), HTTP_X_API_KEY: S.A.full }),
    { stdin: Buffer.concat([b, Buffer.from('GARBAGE THAT MUST NOT BE READ')]) });
  assert.equal(r.status, 201, r.raw);
  assert.equal(r.json.path, 'fcgi/exact.md');
});

test('fastcgi: over 32 MiB announced is 413 at once, before any body is sent', { skip: !SOCK }, async () => {
  for (const len of [String(32 * MiB + 1), '99999999999']) {
    const r = await fcgiRequest(SOCK, fcgiEnv({ REQUEST_METHOD: 'PUT', REQUEST_URI: '/api/v1/files', CONTENT_LENGTH: len, HTTP_X_API_KEY: S.A.full }),
      { endStdin: false, timeout: 5000 });
    assert.equal(r.status, 413, r.raw);
    assert.equal(r.json.error.code, 'PAYLOAD_TOO_LARGE');
  }
});

test('fastcgi: a malformed CONTENT_LENGTH is 400; none at all reads to the end', { skip: !SOCK }, async () => {
  let r = await fcgiRequest(SOCK, fcgiEnv({ REQUEST_METHOD: 'PUT', REQUEST_URI: '/api/v1/files', CONTENT_LENGTH: '12x', HTTP_X_API_KEY: S.A.full }));
  assert.equal(r.status, 400, r.raw);
  const b = Buffer.from('{"path":"fcgi/nolength.md","content":"streamed"}');
  r = await fcgiRequest(SOCK, fcgiEnv({ REQUEST_METHOD: 'PUT', REQUEST_URI: '/api/v1/files', HTTP_X_API_KEY: S.A.full }), { stdin: b });
  assert.equal(r.status, 201, r.raw);
  assert.equal(r.json.hash, sha256('streamed'));
});

test('fastcgi: every answer has Status, Content-Type and Content-Length (none for 204/304)', { skip: !SOCK }, async () => {
  const r = await fcgiRequest(SOCK, fcgiEnv({ REQUEST_URI: '/api/v1/nope' }));
  assert.equal(r.headers.status, '404 Not Found');
  assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.text));
  const d = await fcgiRequest(SOCK, fcgiEnv({ REQUEST_METHOD: 'DELETE', REQUEST_URI: '/api/v1/files?path=fcgi/nolength.md', HTTP_X_API_KEY: S.A.full }));
  assert.equal(d.headers.status, '204 No Content');
  assert.equal(d.headers['content-length'], undefined);
  assert.equal(d.text, '');
});

// ---- the database goes away and comes back ----------------------------------------

const STOP = process.env.SYNC_TEST_PG_STOP, START = process.env.SYNC_TEST_PG_START;
test('outage: 503 UNAVAILABLE while the database is down; the first request after recovery succeeds', { skip: !(STOP && START) }, async () => {
  L.close();
  L = null;
  execSync(STOP, { stdio: 'inherit' });
  let restarted = false;
  try {
    for (let i = 0; i < 3; i++) {
      expectError(await api.get('/files?path=notes/a.md', S.A.full), 503, 'UNAVAILABLE');
      expectError(await api.put('/files', S.A.full, { path: 'outage.md', content: 'x' }), 503, 'UNAVAILABLE');
    }
    const h = await request('GET', '/health');
    expectStatus(h, 503);
    assert.equal(h.json.status, 'degraded');
    assert.equal(h.json.database, 'disconnected');
    // the admin key is checked without the database, the rest still needs it
    expectError(await api.get('/admin/stores', ADMIN), 503, 'UNAVAILABLE');
    execSync(START, { stdio: 'inherit' });
    restarted = true;
    for (let i = 0; i < 4; i++) {
      const r = await api.get('/files?path=notes/a.md', S.A.full);
      expectStatus(r, 200);
      assert.equal(r.json.content, 'v4');
    }
    expectStatus(await request('GET', '/health'), 200);
  } finally {
    if (!restarted) execSync(START, { stdio: 'inherit' });
  }
});

test('cleanup: deleting store B cascades (204, then 404 and its key is refused)', async () => {
  if (L) L.close();
  expectStatus(await api.del(`/admin/stores/${S.B.id}`, ADMIN), 204);
  expectError(await api.get(`/admin/stores/${S.B.id}`, ADMIN), 404, 'NOT_FOUND');
  expectError(await api.get('/files', S.B.full), 401, 'UNAUTHORIZED');
  expectError(await api.del(`/admin/stores/${S.B.id}`, ADMIN), 404, 'NOT_FOUND');
});

test('cleanup: store A counts its live files', async () => {
  const s = await api.get(`/admin/stores/${S.A.id}`, ADMIN);
  const l = await api.get('/files?limit=1000', S.A.full);
  assert.equal(s.json.fileCount, l.json.total);
  assert.equal(s.json.totalSize, l.json.files.reduce((n, f) => n + f.size, 0));
  assert.match(S.A.id, UUID);
});
