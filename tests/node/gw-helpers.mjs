// gw-helpers.mjs - what tests/node/gateway.test.mjs needs around the real
// socket.io-client: stores and keys through syncctl, REST-equivalent writes
// through psql (origin NULL), connecting with either transport, and an
// in-order log of every server event a socket received.
//
// Environment (set by tests/suites/40-gateway.sh): GW_URL, SYNC_BIN_DIR,
// PSQL, ADMIN_API_KEY, DATABASE_URL and the PG* variables, TEST_PG_DIR.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { io } from "socket.io-client";
import WebSocket from "ws";   // socket.io-client's own transport (pinned in package-lock.json)

export const GW_URL = process.env.GW_URL;
const BIN = process.env.SYNC_BIN_DIR;
const PSQL = process.env.PSQL || "psql";

export const TRANSPORTS = {
  websocket: { transports: ["websocket"] },
  "polling+upgrade": {},            // the client's default: polling, then the upgrade
};

export const FILE_EVENTS = ["file-created", "file-modified", "file-deleted", "file-renamed"];

export function sha256(content) {
  return "sha256:" + createHash("sha256").update(content, "utf8").digest("hex");
}

export function syncctl(...args) {
  return execFileSync(`${BIN}/syncctl`, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export function newStore(name = "gw-test") {
  return syncctl("store", "create", name).trim();
}

// { key, id } of a new key of store with perms ("read,write"); syncctl
// prints the key on stdout and "key <id> ... created" on stderr.
export function newKey(store, perms = "read,write") {
  const r = spawnSync(`${BIN}/syncctl`, ["key", "create", store, "--name", "t", "--perm", perms],
    { encoding: "utf8" });
  const id = r.stderr.match(/key ([0-9a-f-]{36})/);
  if (r.status !== 0 || !id) throw new Error(`syncctl key create failed: ${r.stderr}`);
  return { key: r.stdout.trim(), id: id[1] };
}

export function psql(sql) {
  return execFileSync(PSQL, ["-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

const lit = (s) => (s === null ? "NULL" : "'" + String(s).replace(/'/g, "''") + "'");

// A write as REST makes it: the SQL function, origin NULL. Returns its seq.
export function sqlWrite(store, path, content) {
  const ext = path.includes(".") ? path.slice(path.lastIndexOf(".") + 1).toLowerCase() : null;
  const out = psql(`SELECT o_outcome, o_seq FROM sync_file_write(${lit(store)}, ${lit(path)}, ` +
    `${lit(content)}, ${lit(sha256(content))}, ${Buffer.byteLength(content)}, false, ${lit(ext)}, ` +
    `NULL, 'upsert', NULL)`);
  return Number(out.split("|")[1]);
}

export function fileRow(store, path) {
  const out = psql(`SELECT content, hash, size, expires_at IS NOT NULL FROM files ` +
    `WHERE store_id = ${lit(store)} AND namespace = 'vault' AND path = ${lit(path)}`);
  if (!out) return null;
  const [content, hash, size, tomb] = out.split("|");
  return { content, hash, size: Number(size), tombstone: tomb === "t" };
}

export function storeSeq(store) {
  return Number(psql(`SELECT seq FROM stores WHERE id = ${lit(store)}`));
}

function clientOptions(transport, auth) {
  const o = { ...TRANSPORTS[transport], forceNew: true, reconnection: false, timeout: 5000 };
  if (auth.query) o.query = auth.query;
  if (auth.auth) o.auth = auth.auth;
  return o;
}

// Records every file-* event in arrival order; wait() resolves when a
// predicate over the log holds.
function attachLog(socket) {
  const log = [];
  const waiters = new Set();
  const check = () => {
    for (const w of waiters) if (w.pred(log)) { waiters.delete(w); clearTimeout(w.t); w.resolve(log); }
  };
  for (const name of FILE_EVENTS) {
    socket.on(name, (data) => { log.push({ name, data }); check(); });
  }
  socket.log = log;
  socket.waitFor = (pred, ms = 5000, what = "events") => new Promise((resolve, reject) => {
    if (pred(log)) return resolve(log);
    const w = { pred, resolve };
    w.t = setTimeout(() => {
      waiters.delete(w);
      reject(new Error(`timed out after ${ms} ms waiting for ${what}; got ` +
        JSON.stringify(log.map((e) => [e.name, e.data.path ?? e.data.newPath, e.data.seq]))));
    }, ms);
    waiters.add(w);
  });
  // waits until an event for path arrived; returns it
  socket.waitPath = async (path, ms = 5000) => {
    const has = (l) => l.find((e) => (e.data.path ?? e.data.newPath) === path);
    await socket.waitFor((l) => has(l), ms, `an event for ${path}`);
    return has(log);
  };
  return socket;
}

// Connects; resolves with the socket (event log attached), rejects with the
// connect_error.
export function connect(transport, key, how = "query") {
  const auth = key === undefined ? {}
    : how === "query" ? { query: { apiKey: key } }
    : how === "token" ? { auth: { token: key } }
    : { auth: { apiKey: key } };
  const s = attachLog(io(GW_URL, clientOptions(transport, auth)));
  return new Promise((resolve, reject) => {
    // the client has no timer of its own on the CONNECT reply
    const t = setTimeout(() => { s.close(); reject(new Error("no CONNECT reply within 10 s")); }, 10000);
    s.once("connect", () => { clearTimeout(t); resolve(s); });
    s.once("connect_error", (e) => { clearTimeout(t); s.close(); reject(e); });
  });
}

// The connect_error message a connection attempt gets.
export async function connectError(transport, key, how = "query") {
  try {
    const s = await connect(transport, key, how);
    s.close();
    return "(connected)";
  } catch (e) {
    return e.message;
  }
}

export function ack(socket, event, payload, ms = 10000) {
  return socket.timeout(ms).emitWithAck(event, payload);
}

// Resolves with the disconnect reason, or "(still connected)" after ms.
export function disconnected(socket, ms) {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve("(still connected)"), ms);
    socket.once("disconnect", (reason) => { clearTimeout(t); resolve(reason); });
  });
}

export function closeAll(...sockets) {
  for (const s of sockets.flat()) if (s) s.close();
}

let fenceN = 0;
// A write through `writer` that every listed observer must see; since the
// gateway delivers in seq order, anything an observer logged before it was
// sent before it. Returns the fence's path.
export async function fence(store, observers) {
  const path = `fence/${process.pid}-${++fenceN}.md`;
  sqlWrite(store, path, "fence " + fenceN);
  await Promise.all(observers.map((o) => o.waitPath(path)));
  return path;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs bash with tests/lib/pg.sh sourced on the test cluster (pg_stop / pg_start).
export function pg(cmd) {
  execFileSync("bash", ["-c", `. tests/lib/pg.sh && PG_DIR="$TEST_PG_DIR" && ${cmd}`],
    { cwd: process.env.SYNC_ROOT, stdio: ["ignore", "pipe", "pipe"] });
}

// A bare Engine.IO/Socket.IO client over one WebSocket, for what the real
// client cannot do (stop reading). Resolves once the namespace is joined,
// with { ws, sid, pause(), resume(), closed } (closed: a promise of the
// close code).
export function rawSocket(key) {
  const url = GW_URL.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket&apiKey=" +
    encodeURIComponent(key);
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
  const closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.on("error", reject);
    ws.on("message", (data) => {
      const m = data.toString();
      if (m === "2") ws.send("3");
      else if (m.startsWith("0{")) ws.send("40");
      else if (m.startsWith("40{")) {
        resolve({
          ws, sid: JSON.parse(m.slice(2)).sid, closed,
          pause: () => ws._socket.pause(),
          resume: () => ws._socket.resume(),
        });
      } else if (m.startsWith("44")) reject(new Error(m));
    });
  });
}
