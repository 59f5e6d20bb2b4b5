// front-e2e.mjs - the realtime path through a web server, end to end, with the
// real socket.io-client: a client connected through the front's port gets the
// event of a REST write made through the same port, and its own socket writes
// reach the REST API.
//
//   node front-e2e.mjs URL STORE_KEY [options]
//     --transports LIST   websocket,polling,upgrade (default all three):
//                         websocket only / long-polling only / polling that
//                         upgrades to WebSocket (the client's default)
//     --big               also a 10 MiB note both ways (REST -> event, and
//                         socket -> REST)
//     --idle SECONDS      stay connected and silent this long first, then
//                         check that the connection survived and still works
//     --label NAME        prefix of the result lines and of the file paths
//
// Prints one line per check, "ok - NAME" or "not ok - NAME: why", and exits 1
// when any failed. TLS: point NODE_EXTRA_CA_CERTS at the test certificate.
import { io } from "socket.io-client";

const argv = process.argv.slice(2);
if (argv.length < 2) {
    console.error("usage: node front-e2e.mjs URL STORE_KEY [--transports LIST] [--big] [--idle S] [--label NAME]");
    process.exit(2);
}
const [url, key] = argv;
let transports = ["websocket", "polling", "upgrade"];
let big = false;
let idle = 0;
let label = "front";
for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--transports") transports = argv[++i].split(",");
    else if (a === "--big") big = true;
    else if (a === "--idle") idle = Number(argv[++i]);
    else if (a === "--label") label = argv[++i];
    else { console.error(`unknown option ${a}`); process.exit(2); }
}

const WAIT_MS = 10000;
let failures = 0;
const ok = (name) => console.log(`ok - ${label} ${name}`);
const notOk = (name, why) => { failures++; console.log(`not ok - ${label} ${name}: ${why}`); };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withTimeout(promise, ms, what) {
    let t;
    return Promise.race([
        promise,
        new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: nothing within ${ms} ms`)), ms); }),
    ]).finally(() => clearTimeout(t));
}

async function rest(method, path, body) {
    const res = await fetch(url + path, {
        method,
        headers: { "X-API-Key": key, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: res.status, json, text };
}

function connect(transport) {
    const opts = {
        path: "/socket.io/",
        query: { apiKey: key },          // the Obsidian plugin's way
        reconnection: false,
        forceNew: true,
        timeout: WAIT_MS,
    };
    if (transport === "websocket") opts.transports = ["websocket"];
    else if (transport === "polling") { opts.transports = ["polling"]; opts.upgrade = false; }
    else opts.transports = ["polling", "websocket"];
    const s = io(url, opts);
    return withTimeout(new Promise((resolve, reject) => {
        s.once("connect", () => resolve(s));
        s.once("connect_error", (e) => { s.close(); reject(new Error(`connect_error: ${e.message}`)); });
    }), WAIT_MS, "connect").catch((e) => { s.close(); throw e; });
}

// The next event NAME whose payload is about PATH.
function nextEvent(s, name, path) {
    return withTimeout(new Promise((resolve) => {
        const on = (ev) => {
            if (ev && ev.path === path) { s.off(name, on); resolve(ev); }
        };
        s.on(name, on);
    }), WAIT_MS, `event ${name}`);
}

async function waitUpgraded(s) {
    const engine = s.io.engine;
    if (engine.transport.name === "websocket") return;
    await withTimeout(new Promise((resolve) => engine.once("upgrade", resolve)), WAIT_MS, "upgrade to websocket");
}

// A markdown-like body of exactly n bytes with quotes and newlines (JSON
// escaping makes it grow, as real notes do).
function bigContent(n) {
    const line = 'A line of a long note with "quotes", a tab\tand more text.\n';
    return line.repeat(Math.ceil(n / line.length)).slice(0, n);
}

// REST write through the front -> event on the socket, both kinds.
async function restToSocket(s, path, content) {
    const created = nextEvent(s, "file-created", path);
    const r1 = await rest("PUT", "/api/v1/files", { path, content: content + " (1)" });
    if (r1.status !== 201) throw new Error(`PUT (create) answered ${r1.status}: ${r1.text.slice(0, 200)}`);
    const e1 = await created;
    if (e1.hash !== r1.json.hash) throw new Error(`file-created hash ${e1.hash} != ${r1.json.hash}`);
    if (e1.content !== content + " (1)") throw new Error("file-created content differs");
    const modified = nextEvent(s, "file-modified", path);
    const r2 = await rest("PUT", "/api/v1/files", { path, content: content + " (2)" });
    if (r2.status !== 200) throw new Error(`PUT (update) answered ${r2.status}: ${r2.text.slice(0, 200)}`);
    const e2 = await modified;
    if (e2.hash !== r2.json.hash) throw new Error(`file-modified hash ${e2.hash} != ${r2.json.hash}`);
    if (e2.content !== content + " (2)") throw new Error("file-modified content differs");
    if (!(e2.seq > e1.seq)) throw new Error(`seq did not grow (${e1.seq} then ${e2.seq})`);
}

// Socket write through the front -> visible over REST.
async function socketToRest(s, path, content) {
    const ack = await withTimeout(s.emitWithAck("modified-file", { path, content }), WAIT_MS * 2, "ack of modified-file");
    if (!ack || ack.success !== true) throw new Error(`ack ${JSON.stringify(ack)}`);
    const r = await rest("GET", `/api/v1/files?path=${encodeURIComponent(path)}`);
    if (r.status !== 200) throw new Error(`GET answered ${r.status}: ${r.text.slice(0, 200)}`);
    if (r.json.hash !== ack.hash) throw new Error(`GET hash ${r.json.hash} != ack hash ${ack.hash}`);
    if (r.json.content !== content) throw new Error("GET content differs");
}

// One check; after a failure the rest of the transport's checks are
// reported without being run (each would wait out its timeout).
let broken = null;
async function check(name, fn) {
    if (broken) { notOk(name, `not run: "${broken}" failed`); return; }
    try { await fn(); ok(name); } catch (e) { notOk(name, e.message); broken = name; }
}

const run = Date.now().toString(36);
for (const t of transports) {
    let s;
    try {
        s = await connect(t);
    } catch (e) {
        notOk(`${t} connect`, e.message);
        continue;
    }
    broken = null;
    let drops = 0;
    s.on("disconnect", () => { drops++; });
    ok(`${t} connect`);
    if (t === "upgrade") await check("upgrade polling->websocket", () => waitUpgraded(s));
    const base = `e2e/${label}-${run}-${t}`;
    if (idle > 0) {
        await sleep(idle * 1000);
        await check(`${t} still connected after ${idle} s idle`, async () => {
            if (drops > 0 || !s.connected) throw new Error("the connection dropped while idle");
        });
    }
    await check(`${t} REST write -> file-created/file-modified event`, () => restToSocket(s, `${base}/rest.md`, "hello"));
    await check(`${t} socket write -> REST`, () => socketToRest(s, `${base}/socket.md`, `from the socket over ${t}`));
    if (big) {
        // the largest content there is (10 MiB), less the " (1)" suffix
        const tenMiB = bigContent(10 * 1024 * 1024 - 4);
        await check(`${t} 10 MiB REST write -> events`, () => restToSocket(s, `${base}/big-rest.md`, tenMiB));
        await check(`${t} 10 MiB socket write -> REST`, () => socketToRest(s, `${base}/big-socket.md`, tenMiB));
    }
    await check(`${t} no unexpected disconnect`, async () => {
        if (drops > 0) throw new Error(`${drops} disconnect(s)`);
    });
    s.close();
}
process.exit(failures ? 1 : 0);
