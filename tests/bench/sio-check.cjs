// sio-check.cjs - cross-checks sio-load's receivers against the real
// socket.io-client 4.8.1 (tests/node/node_modules, `make node-deps`).
//
//   node sio-check.cjs recv URL KEY TAG EXPECT OUT READY TIMEOUT_S
//       three receivers (two WebSocket-only like the Obsidian plugin, one
//       with the default polling-then-upgrade) in the key's store; READY is
//       created when all are connected; each records the file-created /
//       file-modified events whose path starts with fan/TAG, checking the
//       content against its hash; exits when each has EXPECT of them or after
//       TIMEOUT_S, writing OUT (JSON)
//   node sio-check.cjs compare CLOG OUT
//       compares receiver 0 of sio-load (fanout --log CLOG) with every
//       socket.io-client receiver; prints key=value pairs (same=1 when equal)
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const [mode, ...args] = process.argv.slice(2);

if (mode === 'recv') {
  const { io } = require(path.join(__dirname, '../node/node_modules/socket.io-client'));
  const [url, key, tag, expectS, out, ready, timeoutS] = args;
  const expect = +expectS;
  const prefix = `fan/${tag}-`;
  const kinds = [['websocket'], ['websocket'], ['polling', 'websocket']];
  const recvs = kinds.map((transports) => ({ transports, events: [], bad: 0, connected: false, error: '' }));
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    for (const r of recvs) if (r.sock) r.sock.close();
    fs.writeFileSync(out, JSON.stringify(recvs.map(({ transports, events, bad, connected, error, upgraded }) =>
      ({ transports, events, bad, connected, error, upgraded }))));
    process.exit(0);
  };
  setTimeout(finish, +timeoutS * 1000);
  process.on('SIGTERM', finish);
  const check = () => {
    if (recvs.every((r) => r.connected) && !fs.existsSync(ready)) fs.writeFileSync(ready, '');
    if (recvs.every((r) => r.events.length >= expect)) finish();
  };
  for (const r of recvs) {
    r.sock = io(url, { transports: r.transports, query: { apiKey: key }, reconnection: false });
    r.sock.on('connect', () => {
      // wait for the upgrade of the polling receiver so that all are on WebSocket
      const eng = r.sock.io.engine;
      const done = () => { r.connected = true; r.upgraded = eng.transport.name; check(); };
      if (eng.transport.name === 'websocket' || r.transports.length === 1) done();
      else eng.once('upgrade', done);
    });
    r.sock.on('connect_error', (e) => { r.error = String(e && e.message); });
    for (const ev of ['file-created', 'file-modified']) {
      r.sock.on(ev, (p) => {
        if (!p || typeof p.path !== 'string' || !p.path.startsWith(prefix)) return;
        const h = 'sha256:' + crypto.createHash('sha256').update(String(p.content)).digest('hex');
        if (h !== p.hash || Buffer.byteLength(String(p.content)) !== p.size) r.bad++;
        r.events.push(`${ev} ${p.path} ${p.seq} ${p.hash} ${p.size}`);
        check();
      });
    }
  }
} else if (mode === 'compare') {
  const [clog, out] = args;
  const c = fs.readFileSync(clog, 'utf8').split('\n').filter(Boolean);
  let node = [];
  try { node = JSON.parse(fs.readFileSync(out, 'utf8')); } catch (e) { /* missing: not same */ }
  const details = [];
  let same = node.length > 0 && c.length > 0;
  node.forEach((r, i) => {
    const eq = r.events.length === c.length && r.events.every((e, j) => e === c[j]);
    if (!eq || r.bad || !r.connected) {
      same = false;
      const first = r.events.findIndex((e, j) => e !== c[j]);
      details.push(`receiver ${i} (${r.transports.join('+')}): ${r.events.length} events vs ${c.length}` +
        (r.bad ? `, ${r.bad} bad content` : '') + (r.connected ? '' : `, not connected ${r.error}`) +
        (first >= 0 ? `, first difference at ${first}: ${r.events[first]} vs ${c[first]}` : ''));
    }
  });
  const kv = { same: same ? 1 : 0, events: c.length, node_receivers: node.length };
  console.log(Object.entries(kv).map(([k, v]) => `${k}=${v}`).join(' '));
  if (details.length) console.error(details.join('\n'));
  process.exit(same ? 0 : 1);
} else {
  console.error('usage: sio-check.cjs recv|compare ...');
  process.exit(2);
}
