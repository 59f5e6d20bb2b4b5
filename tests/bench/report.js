// report.js RESULTS.jsonl OUT_DIR - the table of `make bench`.
//
// Reads the figures run.sh recorded (one JSON object per line, by "name"),
// prints one Markdown table (figure, value, the limit it is compared with,
// ratio, target, met) and writes the same rows plus the raw figures to
// OUT_DIR/bench-<UTC time>.json.
'use strict';
const fs = require('fs');
const path = require('path');

const [resFile, outDir] = process.argv.slice(2);
const r = {};
for (const line of fs.readFileSync(resFile, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const o = JSON.parse(line);
  r[o.name] = Object.assign(r[o.name] || {}, o);
}
// A load skipped (time budget, or the gateway broke before it) reads 'skipped'.
const get = (name, key) => (r[name] && r[name].skipped ? 'skipped'
  : r[name] && typeof r[name][key] === 'number' ? r[name][key] : null);

const fmt = (v, unit) => {
  if (v === null || v === undefined) return 'n/a';
  if (typeof v === 'string') return v;
  if (!isFinite(v)) return 'n/a';
  let s;
  if (Math.abs(v) >= 1000) s = Math.round(v).toLocaleString('en-US');
  else if (Math.abs(v) >= 100) s = v.toFixed(0);
  else if (Math.abs(v) >= 10) s = v.toFixed(1);
  else if (Math.abs(v) >= 1) s = v.toFixed(2);
  else s = v.toPrecision(2);
  return unit ? `${s} ${unit}` : s;
};

const rows = [];
const section = (title) => rows.push({ section: title });
// row(figure, value, unit, {limit, limitUnit, limitName, target: ['<=' | '>=', x], on: 'ratio' | 'value'})
const row = (figure, value, unit, o = {}) => {
  const x = { figure, value, unit, note: o.note || '' };
  if (o.limitName) {
    x.limitName = o.limitName;
    x.limit = o.limit;
    x.limitUnit = o.limitUnit || unit;
    if (value !== null && o.limit) x.ratio = value / o.limit;
  }
  if (o.target) {
    const [op, t] = o.target;
    const on = o.on || (o.limitName ? 'ratio' : 'value');
    x.target = `${op === '<=' ? '≤' : op === '<' ? '<' : '≥'} ${on === 'ratio' ? t.toFixed(2) + '×' : fmt(t, o.targetUnit || unit)}`;
    const v = on === 'ratio' ? x.ratio : value;
    if (typeof value === 'string' || value === null || v === undefined || v === null) x.met = null;
    else x.met = op === '<=' ? v <= t : op === '<' ? v < t : v >= t;
  }
  rows.push(x);
  return x;
};

const gwState = (r.gateway && r.gateway.state) || 'not built';
const gwUp = gwState === 'up';
const gwNA = gwUp ? null : `gateway ${gwState}`;
const M = 1024;
const div = (v, d) => (typeof v === 'number' ? v / d : v);  // keeps null / 'skipped' 

// ---- limits ----------------------------------------------------------------
section('Limits of this machine (measured in this run)');
row('disk flush, one 8 kB write + fdatasync (pg_test_fsync)', get('fsync', 'fdatasync_us'), 'µs');
row('loopback TCP, 1 KiB messages to 500 connections: sender CPU per message', get('tcp_1024', 'cpu_us_per_msg'), 'µs',
  { note: `${fmt(get('tcp_1024', 'msgs_per_s'), 'msgs/s')} (sio-load tcp, 64 KiB writes)` });
row('loopback TCP, 1 MiB messages to 500 connections: sender CPU per message', get('tcp_1048576', 'cpu_us_per_msg'), 'µs',
  { note: `${fmt(get('tcp_1048576', 'msgs_per_s'), 'msgs/s')}` });
for (const [c, s] of [[1, 1], [16, 1], [1, 16], [16, 16]]) {
  const n = `pg_write_c${c}_s${s}`;
  row(`pgbench write txn 1 KiB (sync_file_write + NOTIFY), ${c} client${c > 1 ? 's' : ''}, ${s === 1 ? 'one store' : '16 stores'}`,
    get(n, 'tps'), 'TPS', { note: `p50 ${fmt(get(n, 'p50_ms'), 'ms')}, p99 ${fmt(get(n, 'p99_ms'), 'ms')}` });
}
row('pgbench file_get SELECT, 16 clients', get('pg_get_c16', 'tps'), 'TPS',
  { note: `p50 ${fmt(get('pg_get_c16', 'p50_ms'), 'ms')}` });
row('pgbench auth + file_get (the two statements sync-api sends per GET), 16 clients', get('pg_auth_get_c16', 'tps'), 'TPS',
  { note: `p50 ${fmt(get('pg_auth_get_c16', 'p50_ms'), 'ms')}` });
row('pgbench list page of 100 + total (list_sql), 10,000 files, 16 clients', get('pg_list_c16', 'tps'), 'TPS',
  { note: `p50 ${fmt(get('pg_list_c16', 'p50_ms'), 'ms')}` });

// ---- REST ------------------------------------------------------------------
section(`REST through lighttpd + ${get('machine', 'api_procs')} sync-api (mod_fastcgi)`);
for (const [c, s] of [[1, 1], [16, 1], [1, 16], [16, 16]]) {
  const n = `rest_put_c${c}_s${s}`;
  const pg = `pg_write_c${c}_s${s}`;
  row(`PUT /files 1 KiB, ${c} client${c > 1 ? 's' : ''}, ${s === 1 ? 'one store' : '16 stores'}`, get(n, 'rps'), 'req/s', {
    limitName: `pgbench same txn, ${c} cl., ${s === 1 ? '1 store' : '16 stores'}`, limit: get(pg, 'tps'), limitUnit: 'TPS',
    target: c === 16 ? ['>=', 0.8] : undefined,
    note: `p50 ${fmt(get(n, 'p50_ms'), 'ms')}, errors ${get(n, 'errors')}`,
  });
}
row('GET /files?path=, 16 clients', get('rest_get_c16', 'rps'), 'req/s', {
  limitName: 'pgbench file_get, 16 cl.', limit: get('pg_get_c16', 'tps'), limitUnit: 'TPS', target: ['>=', 0.6],
  note: `p50 ${fmt(get('rest_get_c16', 'p50_ms'), 'ms')}, errors ${get('rest_get_c16', 'errors')}; ` +
    `${fmt(get('rest_get_c16', 'rps') / get('pg_auth_get_c16', 'tps'))}× of pgbench auth + file_get`,
});
row('GET /files?limit=100&offset=…, 10,000 files, 16 clients', get('rest_list_c16', 'rps'), 'req/s', {
  limitName: 'pgbench list_sql, 16 cl.', limit: get('pg_list_c16', 'tps'), limitUnit: 'TPS', target: ['>=', 0.5],
  note: `p50 ${fmt(get('rest_list_c16', 'p50_ms'), 'ms')}, errors ${get('rest_list_c16', 'errors')}`,
});
{
  const ok = get('rest_sync', 'complete') === 1;
  row('initial sync, 10,000 × 2 KiB (pages of 1,000 + GET each, 8 in flight)', ok ? get('rest_sync', 'seconds') : 'incomplete', 's', {
    target: ['<=', 3],
    note: `${get('rest_sync', 'pages')} pages, ${get('rest_sync', 'fetched')} files`,
  });
}
row('sync-api CPU per PUT (16 clients, one store)', get('rest_put_c16_s1', 'api_cpu_ms'), 'ms',
  { note: `lighttpd ${fmt(get('rest_put_c16_s1', 'lighttpd_cpu_ms'), 'ms')}` });
row('sync-api CPU per GET ?path= (16 clients)', get('rest_get_c16', 'api_cpu_ms'), 'ms',
  { note: `lighttpd ${fmt(get('rest_get_c16', 'lighttpd_cpu_ms'), 'ms')}` });
row('sync-api CPU per list page', get('rest_list_c16', 'api_cpu_ms'), 'ms');
{
  // What one more process costs is its private memory (USS); RSS also
  // counts the shared library pages every process maps once for all.
  const uss = get('api_mem', 'uss_kb_max');
  row('sync-api memory per process: private (USS), largest after the loads', div(uss, M), 'MiB', {
    target: ['<=', 4], note: `RSS ${fmt(div(get('api_mem', 'rss_kb_max'), M), 'MiB')} (shared libraries included), PSS ${fmt(div(get('api_mem', 'pss_kb_max'), M), 'MiB')}`,
  });
}

// ---- gateway -----------------------------------------------------------------
section('Gateway (sync-gateway, direct WebSocket, sio-load receivers)');
{
  const p50 = gwUp ? get('gw_ack', 'p50_ms') : gwNA;
  // the limit measured again right before the acks, in the same database
  // state (the REST loads in between grew the tables)
  const pgAck = get('pg_write_c1_s1_gw', 'p50_ms') !== null ? 'pg_write_c1_s1_gw' : 'pg_write_c1_s1';
  row('socket ack p50, modified-file 1 KiB, sequential', p50, 'ms', {
    limitName: 'pgbench p50, 1 client, one store' + (pgAck === 'pg_write_c1_s1_gw' ? ' (measured just before)' : ''),
    limit: get(pgAck, 'p50_ms'), limitUnit: 'ms',
    target: ['<=', 1.3], note: gwUp ? `p99 ${fmt(get('gw_ack', 'p99_ms'), 'ms')}, ${get('gw_ack', 'acks')} acks, errors ${get('gw_ack', 'errors')}` : '',
  });
  row('socket writes, 32 in flight (one socket)', gwUp ? get('gw_inflight', 'rate') : gwNA, 'writes/s', {
    limitName: 'pgbench 1 client, one store', limit: get(pgAck, 'tps'), limitUnit: 'TPS',
    note: gwUp ? `p50 ${fmt(get('gw_inflight', 'p50_ms'), 'ms')}, gateway CPU ${fmt(get('gw_inflight', 'cpu_us_per_op'), 'µs')}/write, errors ${get('gw_inflight', 'errors')}` : '',
  });
}
for (const size of ['1k', '100k', '1m']) {
  for (const n of [10, 100, 500]) {
    const k = `gw_fan_${size}_${n}`;
    const label = { '1k': '1 KiB', '100k': '100 KiB', '1m': '1 MiB' }[size];
    const v = gwUp ? get(k, 'p50_ms') : gwNA;
    const note = gwUp && r[k] && !r[k].skipped ? `p99 ${fmt(get(k, 'p99_ms'), 'ms')}; ${fmt(get(k, 'deliveries_per_s'), 'deliveries/s')}; ` +
      `CPU ${fmt(get(k, 'cpu_us_per_delivery'), 'µs')}/delivery; ${get(k, 'messages')} msgs, missing ${get(k, 'missing')}, bad ${get(k, 'bad')}` : '';
    row(`fan-out ${label} to ${n} sockets: emit → last receipt p50`, v, 'ms', { note });
  }
}
row('fan-out 1 KiB to 500 sockets: emit → last receipt p99', gwUp ? get('gw_fan_1k_500', 'p99_ms') : gwNA, 'ms', { target: ['<=', 15] });
row('gateway CPU per 1 KiB delivery (500 sockets)', gwUp ? get('gw_fan_1k_500', 'cpu_us_per_delivery') : gwNA, 'µs', {
  limitName: 'loopback TCP send, 1 KiB', limit: get('tcp_1024', 'cpu_us_per_msg'), target: ['<=', 3], on: 'value',
});
row('gateway CPU per 1 MiB delivery (500 sockets)', gwUp ? get('gw_fan_1m_500', 'cpu_us_per_delivery') : gwNA, 'µs', {
  limitName: 'loopback TCP send, 1 MiB', limit: get('tcp_1048576', 'cpu_us_per_msg'), target: ['<=', 150], on: 'value',
});
row('gateway RSS at start', gwUp && get('gw_start', 'rss_kb') !== null ? div(get('gw_start', 'rss_kb'), M) : gwNA, 'MiB', {
  target: ['<=', 8], note: gwUp ? `private (USS) ${fmt(div(get('gw_start', 'uss_kb'), M), 'MiB')}` : '',
});
row('gateway RSS growth per 1,000 idle sockets', gwUp && get('gw_idle', 'delta_kb') !== null ? div(get('gw_idle', 'delta_kb'), M) : gwNA, 'MiB', {
  target: ['<=', 8], note: gwUp ? `${get('gw_idle', 'connected')} connected, ${fmt(div(get('gw_idle', 'rss_before_kb'), M), 'MiB')} → ${fmt(div(get('gw_idle', 'rss_after_kb'), M), 'MiB')}` : '',
});
row('gateway RSS growth during a 1 MiB broadcast to 500 sockets', gwUp && get('gw_fan_1m_500', 'rss_growth_kb') !== null ? div(get('gw_fan_1m_500', 'rss_growth_kb'), M) : gwNA, 'MiB', {
  target: ['<', 16], note: gwUp ? `peak ${fmt(div(get('gw_fan_1m_500', 'rss_peak_kb'), M), 'MiB')}` : '',
});
{
  const c = r.gw_check;
  const v = !gwUp ? gwNA : c ? (c.skipped ? 'skipped' : c.same === 1 ? 'same events' : 'DIFFERENT') : 'n/a';
  const x = row('sio-load vs socket.io-client 4.8.1 receivers', v, '', {
    note: c ? `${c.events} events × ${c.node_receivers} node + ${c.c_receivers} C receivers${c.detail ? '; ' + c.detail : ''}` : '',
  });
  x.target = 'identical';
  x.met = !gwUp || !c || c.skipped ? null : c.same === 1;
}

{
  const e = r.gw_end;
  const v = !gwUp ? gwNA : e ? (e.alive === 1 && !e.broken ? 'yes' : 'NO') : 'n/a';
  const x = row('gateway stayed up and reachable through every load', v, '', {
    note: e ? (e.broken || '') + (typeof e.rss_kb === 'number' ? `${e.broken ? '; ' : ''}RSS at the end ${fmt(e.rss_kb / M, 'MiB')}` : '') : '',
  });
  x.target = 'yes';
  x.met = !gwUp || !e ? null : e.alive === 1 && !e.broken;
}

// ---- output ------------------------------------------------------------------
const cell = (s) => String(s).replace(/\|/g, '\\|');
const lines = [];
lines.push('| figure | value | compared with | limit | ratio | target | met | notes |');
lines.push('|---|---:|---|---:|---:|---|:-:|---|');
for (const x of rows) {
  if (x.section) { lines.push(`| **${cell(x.section)}** | | | | | | | |`); continue; }
  lines.push('| ' + [
    cell(x.figure), cell(fmt(x.value, x.unit)), cell(x.limitName || ''),
    x.limitName ? cell(fmt(x.limit, x.limitUnit)) : '',
    x.ratio !== undefined && x.ratio !== null && isFinite(x.ratio) ? x.ratio.toFixed(2) + '×' : '',
    cell(x.target || ''), x.met === undefined ? '' : x.met === null ? '–' : x.met ? 'met' : 'NOT met',
    cell(x.note || ''),
  ].join(' | ') + ' |');
}
const m = r.machine || {};
const head = `${(r.machine_cpu || {}).model || 'cpu?'}, ${m.cores} cores, ${m.mem_mb} MB, Linux ${m.kernel}; ` +
  `${(r.machine_pg || {}).version || ''}; ${(r.machine_date || {}).date || ''}; commit ${(r.machine_commit || {}).commit || '?'}; ` +
  `${m.secs} s per load; run ${fmt(get('run', 'seconds'), 's')}; ` +
  `load average ${m.load_start} at the start, ${get('run', 'load_end')} at the end`;
console.log('\n' + head + '\n');
const busy = Math.max(Number(m.load_start) || 0, Number(get('run', 'load_end')) || 0);
if (busy > (m.cores || 1)) {
  console.log(`NOTE: the machine was busy with other work (load average up to ${busy} on ${m.cores} cores): ` +
    'every limit runs in alternating one-second slices with the figure it is compared with, but ' +
    'ratios of latency figures and tail latencies swing with load this heavy; compare runs on a quiet machine.\n');
}
console.log(lines.join('\n'));
const targets = rows.filter((x) => x.met === true || x.met === false);
console.log(`\n${targets.filter((x) => x.met).length} of ${targets.length} targets met` +
  (rows.some((x) => x.met === null) ? ` (${rows.filter((x) => x.met === null).length} not measured)` : ''));

fs.mkdirSync(outDir, { recursive: true });
const stamp = ((r.machine_date || {}).date || new Date().toISOString()).replace(/[:]/g, '');
const file = path.join(outDir, `bench-${stamp}.json`);
fs.writeFileSync(file, JSON.stringify({ machine: head, busy: busy > (m.cores || 1), rows: rows, raw: r }, null, 1) + '\n');
console.log(`written ${path.relative(process.cwd(), file)}`);
