// sec-inject.mjs - SQL (and LIKE) injection strings in every parameter are
// stored or matched literally. Driven by tests/suites/81-security-inject.sh.
//
// Each string goes into: a file path and its content (REST PUT, and
// modified-file over a socket), settings paths and content, store and key
// names, the path / path_contains / content_contains / extension filters,
// rename targets, delete paths, numeric and boolean query parameters, ids in
// admin routes, the X-API-Key header and socket event names. Asserted: what
// is stored reads back byte for byte (REST GET, the socket event another
// client gets); filters return exactly the set a literal match computes in
// JavaScript (LIKE wildcards % and _ in user input match themselves); what
// the rules refuse is a 400 VALIDATION_ERROR (never a 500); nothing took
// pg_sleep's time; the schema and the other stores are intact afterwards.
// Environment: API_URL, GW_URL (may be empty), ADMIN_API_KEY, PSQL.
import {
  ADMIN, api, connect, emitAck, errCode, lit, newKey, newStore, note, now, ok, psql, q, r1, request,
  run, sha256, show, until, V1,
} from './fault-lib.mjs';

const HAVE_GW = !!process.env.GW_URL;

const NASTY = [
  "'; DROP TABLE files; --",
  "' OR '1'='1",
  "' OR 1=1 --",
  "1); DELETE FROM files WHERE (1=1",
  "admin'--",
  "' UNION SELECT key_hash FROM api_keys --",
  "%' AND 1=1 --",
  "'); SELECT pg_sleep(3); --",
  "'||pg_sleep(3)||'",
  '$1', '$$; DROP TABLE stores; $$', '$tag$ x $tag$',
  '%', '_', '%_%', 'a%b_c', '100%', '__init__',
  '/* */ ; -- #',
  "E'\\x41'", '\\', "\\'", '\\%', '" OR ""="',
  'ünïcödé 🙂 漢字',
  '{}[]()`~!@#&=+,;',
  'ʼ＇‘quotes’',
  "O'Brien's notes",
  'null', 'NULL', 'true', '0x00', '-1',
];

// DESIGN §4 path rules, for the file paths built below.
function validPath(p) {
  if (!p.length || [...p].length > 1000 || p.startsWith('/') || p.endsWith('/')) return false;
  if (/[<>:"|?*\\\u0000-\u001f\u007f]/.test(p)) return false;
  return p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

run(async () => {
  const S = await newStore('sec-inject');
  const { key } = await newKey(S, ['read', 'write', 'settings_read', 'settings_write'], 'inject');
  const other = await newStore('sec-inject-other');
  const otherKey = await newKey(other, ['read', 'write'], 'other');
  await api.put('/files', otherKey.key, { path: 'keep.md', content: 'untouched' });
  const otherBefore = psql(`SELECT count(*), max(f.seq), max(f.updated_at), (SELECT seq FROM stores WHERE id = ${lit(other)}) FROM files f WHERE f.store_id = ${lit(other)}`);
  const tables0 = psql(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`);
  const slow = [];
  const timed = async (what, p) => {
    const t0 = now();
    const r = await p;
    if (now() - t0 > 2000) slow.push(`${what}: ${r1(now() - t0)} ms`);
    return r;
  };

  // ---- files: PUT, GET ------------------------------------------------------------------------
  const files = new Map();        // path -> content, the live set expected in S
  const roundTrip = [];
  const refused = [];
  for (const [i, s] of NASTY.entries()) {
    const path = `inj/${i}-${s}.md`;
    const content = `content ${i}: ${s}\n${s}`;
    const r = await timed(`PUT ${path}`, api.put('/files', key, { path, content }));
    if (!validPath(path)) {
      if (!(r.status === 400 && errCode(r) === 'VALIDATION_ERROR')) refused.push(`${path}: ${show(r)}`);
      continue;
    }
    if (r.status !== 201 || r.json.path !== path || r.json.hash !== sha256(content)) {
      roundTrip.push(`PUT ${path}: ${show(r)}`);
      continue;
    }
    files.set(path, content);
    const g = await timed(`GET ${path}`, api.get(`/files?path=${q(path)}`, key));
    if (g.status !== 200 || g.json.path !== path || g.json.content !== content || g.json.hash !== sha256(content)) {
      roundTrip.push(`GET ${path}: ${show(g)}`);
    }
  }
  note(`${files.size} of ${NASTY.length} paths are valid by the path rules; the others must be refused`);
  ok(roundTrip.length === 0, `${files.size} files with injection strings in path and content round-trip byte for byte`,
    roundTrip.slice(0, 3).join(' | '));
  ok(refused.length === 0, 'paths the rules forbid (\\ " * etc.) are 400 VALIDATION_ERROR, never a 500', refused.slice(0, 3).join(' | '));

  // extensions made of injection strings
  const EXT = ["o'r", 'x%', '_', "1=1;--", '$1', 'é', 'or', 'x'];
  for (const [i, e] of EXT.entries()) {
    const path = `ext/${i}.${e}`;
    const r = await api.put('/files', key, { path, content: `ext ${e}` });
    if (r.status === 201) files.set(path, `ext ${e}`);
    else roundTrip.push(`PUT ${path}: ${show(r)}`);
  }

  // ---- over a socket -------------------------------------------------------------------------
  if (HAVE_GW) {
    const w = await connect(key);
    const rd = await connect(key);
    const bad = [];
    for (const [i, s] of NASTY.entries()) {
      const path = `sock/${i}-${s}.md`;
      if (!validPath(path)) continue;
      const content = `socket ${i}: ${s}`;
      const a = await emitAck(w, 'modified-file', { path, content });
      if (!a.ok || a.hash !== sha256(content)) { bad.push(`${path}: ${a.code}`); continue; }
      files.set(path, content);
      const g = await api.get(`/files?path=${q(path)}`, key);
      if (g.status !== 200 || g.json.content !== content) bad.push(`GET ${path}: ${show(g)}`);
    }
    ok(bad.length === 0, 'the same strings through modified-file are stored literally', bad.slice(0, 3).join(' | '));
    const want = [...files.keys()].filter((p) => p.startsWith('sock/'));
    await until(() => want.every((p) => rd.log.some((e) => e.data.path === p)), 10000);
    const evBad = want.filter((p) => {
      const e = rd.log.find((x) => x.data.path === p);
      return !e || e.data.content !== files.get(p) || e.data.hash !== sha256(files.get(p));
    });
    ok(evBad.length === 0, 'another socket gets each of them with the exact path and content', evBad.slice(0, 3).join(' | '));
    const names = ["'; DROP TABLE files; --", "modified-file' OR '1'='1", '$1', '%'];
    const acks = [];
    for (const n of names) acks.push(await emitAck(w, n, { path: 'x.md', content: 'x' }));
    ok(acks.every((a) => a.code === 'UNKNOWN_EVENT'), 'injection strings as event names: UNKNOWN_EVENT',
      JSON.stringify(acks.map((a) => a.code)));
    w.close();
    rd.close();
  }

  // ---- filters match literally ----------------------------------------------------------------
  const list = async (qs) => {
    const r = await timed(`GET /files?${qs}`, api.get(`/files?${qs}`, key));
    if (r.status !== 200) return { error: show(r) };
    return { paths: r.json.files.map((f) => f.path).sort(), total: r.json.total };
  };
  const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  const live = [...files.keys()];
  const all = await list('limit=1000');
  ok(same(all.paths || [], live) && all.total === live.length, `the listing holds exactly the ${live.length} files written`,
    all.error || `${all.total}`);
  const filterBad = [];
  for (const s of NASTY) {
    let got = await list(`limit=1000&path_contains=${q(s)}`);
    let want = live.filter((p) => p.includes(s));
    if (!got.paths || !same(got.paths, want) || got.total !== want.length) {
      filterBad.push(`path_contains=${s}: want ${want.length}, got ${got.error || got.paths.length}`);
    }
    got = await list(`limit=1000&content_contains=${q(s)}`);
    want = live.filter((p) => files.get(p).toLowerCase().includes(s.toLowerCase()));
    if (!got.paths || !same(got.paths, want)) {
      filterBad.push(`content_contains=${s}: want ${want.length}, got ${got.error || got.paths.length}`);
    }
    for (const prefix of [`inj/${s}`, `inj/${NASTY.indexOf(s)}-${s}`]) {
      got = await list(`limit=1000&path=${q(prefix)}`);
      want = live.filter((p) => p.startsWith(prefix));
      if (!got.paths || !same(got.paths, want)) {
        filterBad.push(`path=${prefix} (prefix): want ${want.length}, got ${got.error || got.paths.length}`);
      }
    }
  }
  for (const e of [...EXT, '%', '_', "' OR '1'='1", 'md,%', "o'R"]) {
    const got = await list(`limit=1000&extension=${q(e)}`);
    const wantExt = e.split(',').map((x) => x.toLowerCase());
    const want = live.filter((p) => {
      const last = p.slice(p.lastIndexOf('/') + 1);
      const dot = last.lastIndexOf('.');
      return dot > 0 && dot < last.length - 1 && wantExt.includes(last.slice(dot + 1).toLowerCase());
    });
    if (!got.paths || !same(got.paths, want)) {
      filterBad.push(`extension=${e}: want ${want.length}, got ${got.error || got.paths.length}`);
    }
  }
  ok(filterBad.length === 0, 'path_contains, content_contains, the path prefix and extension match only literally ' +
    `(${NASTY.length * 4 + EXT.length + 5} queries; % and _ match themselves)`, filterBad.slice(0, 4).join(' | '));

  // ---- rename and delete ----------------------------------------------------------------------------
  const rnBad = [];
  for (const [i, s] of NASTY.entries()) {
    const from = `inj/${i}-${s}.md`;
    if (!files.has(from)) continue;
    const to = `ren/${i}-${s}.md`;
    const r = await timed(`PATCH ${from}`, api.patch('/files', key, { path: from, newPath: to }));
    if (r.status !== 200 || r.json.path !== to) { rnBad.push(`PATCH ${from}: ${show(r)}`); continue; }
    const g = await api.get(`/files?path=${q(to)}`, key);
    const gone = await api.get(`/files?path=${q(from)}`, key);
    if (g.status !== 200 || g.json.content !== files.get(from) || gone.status !== 404) rnBad.push(`after PATCH ${to}`);
    const d = await timed(`DELETE ${to}`, api.del(`/files?path=${q(to)}`, key));
    const g2 = await api.get(`/files?path=${q(to)}`, key);
    if (d.status !== 204 || g2.status !== 404) rnBad.push(`DELETE ${to}: ${show(d)} then ${g2.status}`);
  }
  ok(rnBad.length === 0, 'rename to and delete of each such path act on exactly that path', rnBad.slice(0, 3).join(' | '));
  const tomb = await list('limit=1000&include_deleted=true&path=ren/');
  const wantTomb = NASTY.map((s, i) => `ren/${i}-${s}.md`).filter((p) => validPath(p));
  ok(tomb.paths && same(tomb.paths, wantTomb), 'their tombstones are listed under their exact paths', tomb.error);

  // ---- settings -------------------------------------------------------------------------------------------
  const setBad = [];
  for (const [i, s] of NASTY.entries()) {
    const path = `plugins/${i}-${s}.json`;
    const content = JSON.stringify({ v: s });
    const r = await timed(`PUT /settings ${path}`, api.put('/settings', key, { path, content }));
    if (!validPath(path)) {
      if (r.status !== 400) setBad.push(`PUT /settings ${path}: ${show(r)}`);
      continue;
    }
    const g = await api.get(`/settings?path=${q(path)}`, key);
    if (![200, 201].includes(r.status) || g.status !== 200 || g.json.path !== path || g.json.content !== content) {
      setBad.push(`${path}: ${show(r)} / ${show(g)}`);
    }
  }
  ok(setBad.length === 0, 'settings paths and content round-trip literally', setBad.slice(0, 3).join(' | '));

  // ---- names ---------------------------------------------------------------------------------------------
  const nameBad = [];
  for (const s of NASTY) {
    const r = await timed(`POST /admin/stores ${s}`, api.post('/admin/stores', ADMIN, { name: s }));
    if (r.status !== 201 || r.json.name !== s) { nameBad.push(`store ${s}: ${show(r)}`); continue; }
    const g = await api.get(`/admin/stores/${r.json.id}`, ADMIN);
    const k = await api.post(`/admin/stores/${r.json.id}/keys`, ADMIN, { name: s, permissions: ['read'] });
    const kl = await api.get(`/admin/stores/${r.json.id}/keys`, ADMIN);
    if (g.json?.name !== s || k.status !== 201 || k.json.name !== s || kl.json?.keys?.[0]?.name !== s) {
      nameBad.push(`names ${s}: ${show(g)} ${show(k)}`);
    }
    const d = await api.del(`/admin/stores/${r.json.id}`, ADMIN);
    if (d.status !== 204) nameBad.push(`delete store ${s}: ${show(d)}`);
  }
  ok(nameBad.length === 0, 'store and key names round-trip literally', nameBad.slice(0, 3).join(' | '));

  // ---- parameters that must be numbers, booleans, ids, keys --------------------------------------------
  const pBad = [];
  for (const [p, want] of [
    ['/changes?since=' + q('1 OR 1=1'), 400], ['/changes?since=' + q("1'; DROP TABLE changes; --"), 400],
    ['/changes?limit=' + q('1;DROP TABLE files'), 400], ['/files?limit=' + q("1'"), 400],
    ['/files?offset=' + q('0 OR 1=1'), 400], ['/files?include_deleted=' + q("' OR '1'='1"), 400],
    ['/files?is_binary=' + q('1 OR 1=1'), 400], ['/changes?since=-1', 400],
  ]) {
    const r = await timed(p, api.get(p, key));
    if (r.status !== want || errCode(r) !== 'VALIDATION_ERROR') pBad.push(`${p}: ${show(r)}`);
  }
  for (const p of ["/admin/stores/' OR '1'='1", '/admin/stores/1%20OR%201=1', `/admin/stores/${S}'--`,
    `/admin/stores/${S}/keys/' OR '1'='1`, `/admin/stores/${S}/keys/%25`]) {
    const r = await timed(p, request('GET', V1 + p.replace(/ /g, '%20').replace(/'/g, '%27'), { key: ADMIN }));
    if (r.status !== 404) pBad.push(`${p}: ${show(r)}`);
  }
  for (const k of ["' OR '1'='1", `sk_store_${S.slice(0, 6)}_' OR '1'='1' --aaaaaaaaaaaaa`, "sk_admin_' OR 1=1 --", '%']) {
    const r = await timed(`key ${k}`, api.get('/files?limit=1', k));
    if (r.status !== 401) pBad.push(`X-API-Key ${k}: ${show(r)}`);
  }
  ok(pBad.length === 0, 'injection in numbers, booleans, ids and the key header: 400 / 404 / 401 as for any bad value',
    pBad.slice(0, 4).join(' | '));

  // ---- nothing ran, nothing broke --------------------------------------------------------------------------
  ok(slow.length === 0, 'no request took 2 s or more (no pg_sleep ran)', slow.slice(0, 3).join(' | '));
  ok(psql(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`) === tables0, 'every table is still there');
  ok(psql(`SELECT count(*), max(f.seq), max(f.updated_at), (SELECT seq FROM stores WHERE id = ${lit(other)}) FROM files f WHERE f.store_id = ${lit(other)}`) === otherBefore,
    'another store is untouched');
  const keep = await api.get('/files?path=keep.md', otherKey.key);
  ok(keep.status === 200 && keep.json.content === 'untouched', "and its file reads back");
});
