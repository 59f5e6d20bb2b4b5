// sec-stores.mjs - one store's keys never reach another store's data, and
// revocation takes effect. Driven by tests/suites/80-security-stores.sh.
//
// Isolation: stores A and B share file and settings paths. Every key of A
// (full, read-only, write-only, settings-only) goes through every REST route
// and variant (B's paths, filters naming B's content, If-Match with B's hash,
// two X-API-Key headers, store ids in the query, admin routes with B's ids),
// and A's sockets send every event with B's paths. B is compared before and
// after in full: its rows in files, changes and stores (psql) and what B's
// own key lists over REST. A must never see a byte of B's content; A's
// sockets never get one of B's events; A's writes land in A.
// Revocation: a revoked key is refused (401) by the very next REST request,
// on every sync-api process; its live sockets (WebSocket and polling) are
// closed within 1 s (measured from the 204 of the revocation, asserted
// < 1000 ms), and cannot come back (KEY_REVOKED). The same for a key revoked
// with syncctl and for a deleted store's sockets.
// Environment: API_URL, GW_URL (may be empty: socket parts skipped),
// ADMIN_API_KEY, PSQL, SYNCCTL.
import { execFileSync } from 'node:child_process';
import {
  ADMIN, api, connect, emitAck, errCode, feed, lit, newKey, newStore, note, now, ok, psql, q, r1,
  request, run, show, sleep, socket, until, V1,
} from './fault-lib.mjs';

const HAVE_GW = !!process.env.GW_URL;
const MARK_B = 'B-SECRET-7f3a9c';          // in every piece of B's content
const SHARED = ['shared.md', 'notes/shared.md', '.obsidian/app.json'];
const B_ONLY = ['b-only/diary.md', 'b-only/tax.pdf'];

// B as the database holds it (ids and timestamps included).
function dbSnapshot(store) {
  const S = lit(store);
  return {
    files: psql(`SELECT json_agg(row_to_json(f) ORDER BY namespace, path) FROM (SELECT id, namespace, path, content,
      hash, size, is_binary, extension, seq, created_at, updated_at, expires_at FROM files WHERE store_id = ${S}) f`),
    changes: psql(`SELECT json_agg(row_to_json(c) ORDER BY seq) FROM (SELECT seq, kind, path, old_path, hash, size,
      origin, at FROM changes WHERE store_id = ${S}) c`),
    store: psql(`SELECT row_to_json(s) FROM (SELECT id, name, seq, created_at, updated_at FROM stores WHERE id = ${S}) s`),
    keys: psql(`SELECT json_agg(row_to_json(k) ORDER BY id) FROM (SELECT id, name, key_hash, permissions, revoked_at
      FROM api_keys WHERE store_id = ${S}) k`),
  };
}
// B as B's own key sees it over REST.
async function restSnapshot(key) {
  const list = await api.get('/files?limit=1000&include_deleted=true', key);
  const settings = await api.get('/settings', key);
  const ch = await feed(key, 0);
  const contents = [];
  for (const f of list.json.files.filter((x) => !x.expiresAt)) {
    contents.push((await api.get(`/files?path=${q(f.path)}`, key)).text);
  }
  return JSON.stringify([list.json, settings.json, ch, contents]);
}


run(async () => {
  const A = await newStore('sec-A');
  const B = await newStore('sec-B');
  const aFull = await newKey(A, ['read', 'write', 'settings_read', 'settings_write'], 'a-full');
  const aKeys = {
    full: aFull,
    read: await newKey(A, ['read'], 'a-read'),
    write: await newKey(A, ['write'], 'a-write'),
    settings: await newKey(A, ['settings_read', 'settings_write'], 'a-settings'),
  };
  const bFull = await newKey(B, ['read', 'write', 'settings_read', 'settings_write'], 'b-full');

  // seed both stores with the same paths, B's content marked
  for (const p of [...SHARED.filter((x) => !x.startsWith('.obsidian')), ...B_ONLY]) {
    const r = await api.put('/files', bFull.key, { path: p, content: `${MARK_B} ${p}` });
    if (r.status !== 201) throw new Error(`seed B ${p}: ${show(r)}`);
  }
  await api.put('/files', bFull.key, { path: 'b-only/gone.md', content: `${MARK_B} gone` });
  await api.del(`/files?path=${q('b-only/gone.md')}`, bFull.key);
  await api.put('/settings', bFull.key, { path: 'app.json', content: `{"${MARK_B}":1}` });
  await api.put('/settings', bFull.key, { path: 'b-only.json', content: `{"${MARK_B}":2}` });
  for (const p of SHARED.filter((x) => !x.startsWith('.obsidian'))) {
    await api.put('/files', aFull.key, { path: p, content: `A's own ${p}` });
  }
  await api.put('/settings', aFull.key, { path: 'app.json', content: '{"a":1}' });
  const bHash = (await api.get(`/files?path=${q('shared.md')}`, bFull.key)).json.hash;
  const bKeyList = await api.get(`/admin/stores/${B}/keys`, ADMIN);
  const bKeyId = bKeyList.json.keys[0].id;

  // B's content, B's id, B's key id: none may appear in an answer to A
  const noB = (r) => ![MARK_B, MARK_B.toLowerCase(), B, bKeyId].some((x) => (r.text || '').includes(x));
  const db0 = dbSnapshot(B);
  const rest0 = await restSnapshot(bFull.key);

  // ---- sockets: listen on both stores while everything below runs -------------------
  let sa = null, sb = null;
  if (HAVE_GW) {
    sa = await connect(aFull.key);
    sb = await connect(bFull.key);
  }

  // ---- REST with every key of A --------------------------------------------------------
  const leaks = [];
  const wrongStatus = [];
  const seen = (name, r, want) => {
    if (!noB(r)) leaks.push(`${name}: ${show(r)}`);
    if (want && !want.includes(r.status)) wrongStatus.push(`${name}: want ${want}, got ${show(r)}`);
  };
  for (const [kn, { key }] of Object.entries(aKeys)) {
    const canR = kn === 'full' || kn === 'read';
    const canW = kn === 'full' || kn === 'write';
    const canS = kn === 'full' || kn === 'settings';
    const R = canR ? null : [403];
    for (const p of [...SHARED, ...B_ONLY, 'b-only/gone.md']) {
      seen(`${kn} GET ?path=${p}`, await api.get(`/files?path=${q(p)}`, key), canR ? [200, 404] : [403]);
      seen(`${kn} GET ?path=${p} If-None-Match B's hash`, await api.get(`/files?path=${q(p)}`, key,
        { headers: { 'If-None-Match': `"${bHash}"` } }), canR ? [200, 404] : [403]);
    }
    for (const qs of ['limit=1000', 'limit=1000&include_deleted=true', `content_contains=${MARK_B}`,
      'content_contains=secret', 'path_contains=b-only', 'path=b-only', 'extension=pdf,md',
      'is_binary=true', `limit=1000&store=${B}`, `limit=1000&storeId=${B}&store_id=${B}`]) {
      const r = await api.get(`/files?${qs}`, key);
      // unknown parameters may be refused (400); path= alone is the one-file GET (404)
      seen(`${kn} GET /files?${qs}`, r, R || [200, 400, 404]);
      if (r.status === 200 && r.json.total !== undefined && (qs.includes(MARK_B) || qs.includes('secret')) && r.json.total !== 0) leaks.push(`${kn} /files?${qs}: total ${r.json.total}`);
    }
    seen(`${kn} GET /changes`, await api.get('/changes?since=0', key), R || [200]);
    seen(`${kn} GET /settings`, await api.get('/settings', key), canS ? [200] : [403]);
    seen(`${kn} GET /settings?path=b-only.json`, await api.get('/settings?path=b-only.json', key),
      canS ? [404] : [403]);
    seen(`${kn} GET /settings?path=app.json`, await api.get('/settings?path=app.json', key), canS ? [200] : [403]);
    // two keys in one request: A's and B's
    seen(`${kn} two X-API-Key headers (A, B)`, await request('GET', `${V1}/files?limit=1000`,
      { headers: { 'X-API-Key': [key, bFull.key] } }));
    seen(`${kn} X-API-Key "A, B"`, await request('GET', `${V1}/files?limit=1000`,
      { headers: { 'X-API-Key': `${key}, ${bFull.key}` } }));
    seen(`${kn} B's key in the query, A's in the header`, await request('GET',
      `${V1}/files?limit=1000&apiKey=${q(bFull.key)}`, { key }));
    // writes with B's paths
    const W = canW ? null : [403];
    seen(`${kn} PUT B's path, If-Match B's hash`, await api.put('/files', key,
      { path: 'b-only/diary.md', content: 'overwrite?' }, { headers: { 'If-Match': `"${bHash}"` } }), W || [412]);
    seen(`${kn} POST B's path`, await api.post('/files', key, { path: `b-only/${kn}-post.md`, content: 'x' }), W || [201]);
    seen(`${kn} PUT B's path`, await api.put('/files', key, { path: 'b-only/tax.pdf', content: 'QQ==' }), W || [200, 201]);
    seen(`${kn} PATCH B's path`, await api.patch('/files', key, { path: 'b-only/diary.md', newPath: `a/${kn}-moved.md` }),
      W || [200]);
    seen(`${kn} DELETE B's path`, await api.del(`/files?path=${q('notes/shared.md')}`, key), W || [204]);
    seen(`${kn} PUT /settings B's path`, await api.put('/settings', key, { path: 'b-only.json', content: '{}' }),
      canS ? [200, 201] : [403]);
    seen(`${kn} DELETE /settings B's path`, await api.del('/settings?path=b-only.json', key), canS ? [204] : [403]);
    // admin routes with B's ids
    for (const [m, p, body] of [['GET', '/admin/stores'], ['GET', `/admin/stores/${B}`],
      ['GET', `/admin/stores/${B}/keys`], ['GET', `/admin/stores/${B}/keys/${bKeyId}`],
      ['POST', `/admin/stores/${B}/keys`, { name: 'evil', permissions: ['read'] }],
      ['DELETE', `/admin/stores/${B}/keys/${bKeyId}`], ['DELETE', `/admin/stores/${B}`],
      ['POST', '/admin/stores', { name: 'evil' }]]) {
      const r = await request(m, V1 + p, { key, json: body });
      seen(`${kn} ${m} ${p}`, r, [403]);
      if (r.status === 403 && errCode(r) !== 'FORBIDDEN') wrongStatus.push(`${kn} ${m} ${p}: ${show(r)}`);
    }
  }
  // the last of all: A empties itself
  seen('full DELETE /files/all', await api.del('/files/all', aFull.key), [200]);
  seen('full DELETE /settings/all', await api.del('/settings/all', aFull.key), [200, 204]);
  ok(leaks.length === 0, 'no answer to any key of A carries a byte of B', leaks.slice(0, 5).join(' | '));
  ok(wrongStatus.length === 0, 'each answer is what A alone would get (404 for B\'s paths, 403 for admin routes...)',
    wrongStatus.slice(0, 5).join(' | '));

  // ---- sockets ------------------------------------------------------------------------------
  if (HAVE_GW) {
    const evs = [
      ['modified-file', { path: 'b-only/diary.md', content: 'socket overwrite?' }],
      ['modified-file', { path: 'shared.md', content: 'A over a socket' }],
      ['created-file', { path: 'b-only/created.md' }],
      ['renamed-file', { oldPath: 'notes/shared.md', newPath: 'a/renamed.md' }],
      ['deleted-file', { path: 'b-only/tax.pdf' }],
    ];
    const acks = [];
    for (const [e, p] of evs) acks.push(await emitAck(sa, e, p));
    ok(acks.every((a) => a.ok), 'A\'s socket events with B\'s paths are acked (applied to A)',
      JSON.stringify(acks.map((a) => a.code)));
    const inA = psql(`SELECT count(*) FROM files WHERE store_id = ${lit(A)} AND path IN ` +
      `('b-only/diary.md', 'b-only/created.md', 'a/renamed.md', 'shared.md') AND expires_at IS NULL`);
    ok(inA === '4', 'they landed in A (psql)', inA);
  }

  // ---- B unchanged -------------------------------------------------------------------------
  const db1 = dbSnapshot(B);
  for (const t of ['files', 'changes', 'store', 'keys']) {
    ok(db1[t] === db0[t], `B's ${t} rows are exactly as before (psql)`);
  }
  ok(await restSnapshot(bFull.key) === rest0, 'B\'s own key lists the same files, settings, feed and contents');

  // ---- B's live events never reach A's socket ----------------------------------------------
  if (HAVE_GW) {
    // B writes through both doors; A's socket must hear nothing of it
    const sb2 = await connect(bFull.key);
    await api.put('/files', bFull.key, { path: 'b-only/live.md', content: `${MARK_B} live` });
    await emitAck(sb, 'modified-file', { path: 'b-only/live2.md', content: `${MARK_B} live2` });
    await emitAck(sb, 'renamed-file', { oldPath: 'b-only/live2.md', newPath: 'b-only/live3.md' });
    await emitAck(sb, 'deleted-file', { path: 'b-only/live3.md' });
    const heard = await until(() => sb2.log.some((e) => e.data.path === 'b-only/live3.md' && e.name === 'file-deleted'), 10000);
    ok(heard, 'a second socket of B got B\'s live events');
    await sleep(500);
    const bad = sa.log.filter((e) => JSON.stringify(e.data).includes(MARK_B) || JSON.stringify(e.data).includes('b-only/live'));
    ok(bad.length === 0, `A's socket got none of B's events (it got ${sa.log.length} events, all A's)`,
      JSON.stringify(bad.slice(0, 3)));
    const aPaths = new Set(psql(`SELECT path FROM changes WHERE store_id = ${lit(A)}`).split('\n'));
    ok(sa.log.every((e) => aPaths.has(e.data.path ?? e.data.newPath)), 'every event A\'s socket got is a change of A');
    ok(![...sb.log, ...sb2.log].some((e) => e.data.content === 'socket overwrite?' || e.data.content === 'A over a socket'),
      'B\'s sockets got none of A\'s socket writes');
    sb2.close();
  }
  const keysB = psql(`SELECT count(*) FROM api_keys WHERE store_id = ${lit(B)} AND revoked_at IS NULL`);
  ok(keysB === '1', 'B still has exactly its one live key', keysB);

  // ---- revocation ------------------------------------------------------------------------------
  const C = await newStore('sec-revoke');
  const k = await newKey(C, ['read', 'write'], 'to-revoke');
  const keep = await newKey(C, ['read', 'write'], 'kept');
  const r0 = await api.put('/files', k.key, { path: 'r.md', content: 'before' });
  ok(r0.status === 201, 'the key works before its revocation');
  let socks = [];
  if (HAVE_GW) {
    socks = [await connect(k.key), await connect(k.key, { transports: ['polling'], upgrade: false }),
      await connect(k.key, { transports: ['polling'] })];
    socks.push(await connect(keep.key));
  }
  const t0 = now();
  const rv = await api.del(`/admin/stores/${C}/keys/${k.id}`, ADMIN);
  const tRevoked = now();
  ok(rv.status === 204, `revocation answered 204 in ${r1(tRevoked - t0)} ms`);
  const after = [];
  for (let i = 0; i < 20; i++) {
    after.push(i % 2 ? await api.get('/files?path=r.md', k.key)
      : await api.put('/files', k.key, { path: `r${i}.md`, content: 'after' }));
  }
  ok(after.every((r) => r.status === 401 && errCode(r) === 'UNAUTHORIZED'),
    'REST: the 20 requests right after the revocation are all 401 UNAUTHORIZED (both sync-api processes)',
    after.map((r) => r.status).join(','));
  ok(psql(`SELECT count(*) FROM files WHERE store_id = ${lit(C)} AND path LIKE 'r%.md' AND path <> 'r.md'`) === '0',
    'none of those writes landed');
  if (HAVE_GW) {
    const revoked = socks.slice(0, 3);
    await until(() => revoked.every((s) => s.disconnects.length > 0), 5000);
    const times = revoked.map((s) => (s.disconnects[0] ? s.disconnects[0].t - tRevoked : Infinity));
    note(`sockets of the revoked key closed ${times.map((t) => r1(t) + ' ms').join(', ')} after the 204 ` +
      `(reasons: ${revoked.map((s) => s.disconnects[0]?.reason).join(', ')})`);
    ok(times.every((t) => t < 1000), 'its live sockets (WebSocket, polling, polling+upgrade) are closed within 1 s',
      times.map(r1).join(', '));
    ok(socks[3].connected, 'the other key\'s socket of the same store stays connected');
    await sleep(300);
    ok(revoked.every((s) => !s.connected), 'and they stay closed (no reconnection gets in)');
    let msg = '(connected)';
    try { (await connect(k.key)).close(); } catch (e) { msg = e.message; }
    ok(msg === 'KEY_REVOKED', 'a new socket with the revoked key: connect_error KEY_REVOKED', msg);
    for (const s of socks) s.close();

    // revoked by syncctl: the same
    const k2 = await newKey(C, ['read'], 'ctl');
    const s2 = await connect(k2.key);
    const t2 = now();
    execFileSync(process.env.SYNCCTL, ['key', 'revoke', C, k2.id], { stdio: 'ignore' });
    const tr2 = now();
    await until(() => s2.disconnects.length > 0, 5000);
    const d2 = s2.disconnects[0] ? s2.disconnects[0].t - tr2 : Infinity;
    ok(d2 < 1000, `a key revoked with syncctl: its socket closed ${r1(d2)} ms after syncctl returned ` +
      `(${r1(tr2 - t2)} ms for syncctl itself)`);
    s2.close();

    // a deleted store: every socket of it closed, its key refused
    const D = await newStore('sec-delete');
    const kd = await newKey(D, ['read', 'write'], 'd');
    const sd = [await connect(kd.key), await connect(kd.key, { transports: ['polling'], upgrade: false })];
    const rd = await api.del(`/admin/stores/${D}`, ADMIN);
    const td = now();
    ok(rd.status === 204, 'store deleted (204)');
    await until(() => sd.every((s) => s.disconnects.length > 0), 5000);
    const dt = sd.map((s) => (s.disconnects[0] ? s.disconnects[0].t - td : Infinity));
    ok(dt.every((t) => t < 1000), `a deleted store's sockets are closed within 1 s (${dt.map(r1).join(', ')} ms)`);
    for (const s of sd) s.close();
    const rr = await api.get('/files?limit=1', kd.key);
    ok(rr.status === 401, 'and its key is refused over REST (401)', show(rr));
  } else {
    const D = await newStore('sec-delete');
    const kd = await newKey(D, ['read', 'write'], 'd');
    await api.del(`/admin/stores/${D}`, ADMIN);
    const rr = await api.get('/files?limit=1', kd.key);
    ok(rr.status === 401, 'a deleted store\'s key is refused over REST (401)', show(rr));
  }
  if (sa) sa.close();
  if (sb) sb.close();
});
