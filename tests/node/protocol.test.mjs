// protocol.test.mjs - the sio layer (through build/conformance-server) against
// the real socket.io-client 4.8.1, over WebSocket only and over the default
// polling -> WebSocket upgrade, plus raw Engine.IO checks with ws and fetch.
//
//   SIO_URL=http://127.0.0.1:PORT node --test tests/node/protocol.test.mjs
//
// The server must run with --max-payload 33554432 (32 MiB) and the default
// heartbeat (tests/suites/20-protocol.sh starts it so).
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import WebSocket from "ws";

const URL = process.env.SIO_URL;
if (!URL) throw new Error("SIO_URL is not set");
const TLS_URL = process.env.SIO_TLS_URL; // same server behaviour over TLS (self-signed)
const WS_URL = URL.replace(/^http/, "ws");
const MAX_PAYLOAD = 32 * 1024 * 1024;
const T = 20000; // per-test timeout (ms)

const open = new Set();
after(() => { for (const s of open) s.close(); });

function client(nsp = "/", opts = {}) {
  const s = io(URL + nsp, { forceNew: true, reconnection: false, ...opts });
  open.add(s);
  return s;
}

function once(emitter, ev, ms = 10000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${ev}`)), ms);
    emitter.once(ev, (...args) => { clearTimeout(t); resolve(args); });
  });
}

async function connected(s) {
  const [auth] = await once(s, "auth");
  assert.equal(s.connected, true);
  return auth;
}

async function upgraded(s) {
  if (s.io.engine.transport.name === "websocket") return;
  await once(s.io.engine, "upgrade");
}

for (const mode of ["websocket", "polling+upgrade", "polling"]) {
  const opts = mode === "websocket" ? { transports: ["websocket"] }
    : mode === "polling" ? { transports: ["polling"] } : {};

  describe(`socket.io-client over ${mode}`, () => {
    it("connects and gets its CONNECT auth back", { timeout: T }, async () => {
      const s = client("/", { ...opts, auth: { token: "t0kén" } });
      const auth = await connected(s);
      assert.deepEqual(auth, { token: "t0kén" });
      assert.equal(typeof s.id, "string");
      assert.notEqual(s.id, s.io.engine.id, "socket id differs from the Engine.IO sid");
      if (mode === "polling+upgrade") {
        await upgraded(s);
        assert.equal(s.io.engine.transport.name, "websocket");
      }
      s.close();
    });

    it("echoes events and answers acks", { timeout: T }, async () => {
      const s = client("/", opts);
      await connected(s);
      s.emit("message", 1, "2", { 3: [true] }, "é€😀 \u2028 \"q\" \\ /");
      const back = await once(s, "message-back");
      assert.deepEqual(back, [1, "2", { 3: [true] }, "é€😀 \u2028 \"q\" \\ /"]);
      const acked = await new Promise((resolve) =>
        s.emit("message-with-ack", 1, "2", { 3: [false] }, (...args) => resolve(args)));
      assert.deepEqual(acked, [1, "2", { 3: [false] }]);
      s.close();
    });

    it("carries binary attachments both ways, in events and acks", { timeout: T }, async () => {
      // an empty binary message cannot be sent compressed by lws 4.1.6
      const s = client("/", { ...opts, perMessageDeflate: false });
      await connected(s);
      const a = Buffer.from([1, 2, 3]), b = Buffer.from([]), c = Buffer.alloc(70000, 7);
      s.emit("message", a, { inner: [b, c] }, "text");
      const [x, y, z] = await once(s, "message-back");
      assert.deepEqual(Buffer.from(x), a);
      assert.deepEqual(Buffer.from(y.inner[0]), b);
      assert.deepEqual(Buffer.from(y.inner[1]), c);
      assert.equal(z, "text");
      const acked = await new Promise((resolve) =>
        s.emit("message-with-ack", Buffer.from("bin"), (...args) => resolve(args)));
      assert.deepEqual(Buffer.from(acked[0]), Buffer.from("bin"));
      s.close();
    });

    it("joins the /custom namespace with its own auth", { timeout: T }, async () => {
      const s = client("/custom", { ...opts, auth: { token: "abc" } });
      assert.deepEqual(await connected(s), { token: "abc" });
      s.close();
    });

    it("refuses an unknown namespace with CONNECT_ERROR", { timeout: T }, async () => {
      const s = client("/random", opts);
      const [err] = await once(s, "connect_error");
      assert.equal(err.message, "Invalid namespace");
      s.close();
    });

    it("accepts or refuses asynchronously (/secure)", { timeout: T }, async () => {
      const good = client("/secure", { ...opts, auth: { token: "good" } });
      await once(good, "welcome");
      assert.equal(good.connected, true);
      const byQuery = client("/secure", { ...opts, query: { apiKey: "good" } });
      await once(byQuery, "welcome");
      // long keys: refused by the app, never by the transport (clients retry those forever)
      for (const len of [100, 3000]) {
        const long = client("/secure", { ...opts, query: { apiKey: "k".repeat(len) } });
        const [e] = await once(long, "connect_error");
        assert.equal(e.message, "INVALID_KEY", `apiKey of ${len} bytes`);
        long.close();
      }
      const bad = client("/secure", { ...opts, auth: { token: "bad" } });
      const [err] = await once(bad, "connect_error");
      assert.equal(err.message, "INVALID_KEY");
      assert.equal(bad.active, false, "a CONNECT_ERROR stops the client");
      good.close(); byQuery.close(); bad.close();
    });

    it("round-trips data with matches far back (deflate windows)", { timeout: T }, async () => {
      const s = client("/", opts);
      await connected(s);
      if (mode === "polling+upgrade") await upgraded(s);
      let block = "";
      while (block.length < 8192) block += Math.random().toString(36).slice(2);
      const text = block.repeat(6);              // matches 8 KiB and more back
      const acked = await new Promise((resolve) =>
        s.emit("message-with-ack", text, (...args) => resolve(args)));
      assert.ok(acked[0] === text, "came back unchanged");
      s.close();
    });

    it("round-trips a 10 MiB message", { timeout: 60000 }, async () => {
      const s = client("/", opts);
      await connected(s);
      if (mode === "polling+upgrade") await upgraded(s);
      const big = "# big\n" + "lorem ipsum \"dolor\" sit amet\n".repeat(10 * 1024 * 1024 / 28);
      assert.ok(big.length >= 10 * 1024 * 1024);
      s.emit("message", { path: "big.md", content: big });
      const [back] = await once(s, "message-back", 50000);
      assert.equal(back.content.length, big.length);
      assert.ok(back.content === big, "content came back unchanged");
      s.close();
    });

    it("closes the connection on a message over maxPayload", { timeout: 60000 }, async () => {
      const s = client("/", opts);
      await connected(s);
      if (mode === "polling+upgrade") await upgraded(s);
      const huge = "x".repeat(MAX_PAYLOAD + 10);
      s.emit("message", huge);
      const [reason] = await once(s, "disconnect", 50000);
      assert.ok(reason === "transport close" || reason === "transport error", reason);
      s.close();
    });

    it("broadcasts to a room except the sender", { timeout: T }, async () => {
      const room = `r-${mode}`;
      const [a, b, c] = [client("/", opts), client("/", opts), client("/", opts)];
      await Promise.all([connected(a), connected(b), connected(c)]);
      await new Promise((r) => a.emit("join", { room }, r));
      await new Promise((r) => b.emit("join", { room }, r));
      let cGot = false, aGot = false;
      c.on("room-message", () => { cGot = true; });
      a.on("room-message", () => { aGot = true; });
      const got = once(b, "room-message");
      a.emit("to-room", { room, n: 1 });
      const [msg] = await got;
      assert.deepEqual(msg, { room, n: 1 });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(aGot, false, "the sender is excluded");
      assert.equal(cGot, false, "a socket outside the room gets nothing");
      a.close(); b.close(); c.close();
    });

    it("asks the client for an ack", { timeout: T }, async () => {
      const s = client("/", opts);
      await connected(s);
      s.on("question", (x, cb) => cb({ answer: x * 2 }));
      s.emit("ask", 21);
      const [res] = await once(s, "asked");
      assert.deepEqual(res, { answer: 42 });
      s.close();
    });

    it("disconnects a socket from the server side (no reconnect)", { timeout: T }, async () => {
      const s = client("/", { ...opts, reconnection: true });
      await connected(s);
      s.emit("server-disconnect");
      const [reason] = await once(s, "disconnect");
      assert.equal(reason, "io server disconnect");
      assert.equal(s.active, false);
      s.close();
    });
  });
}

describe("raw Engine.IO", () => {
  it("answers the documented errors on polling", { timeout: T }, async () => {
    const cases = [
      ["?EIO=4&transport=abc", 400, 0],
      ["?EIO=3&transport=polling", 400, 5],
      ["?EIO=4&transport=polling&sid=nope", 400, 1],
      ["?EIO=4&transport=websocket", 400, 3],
    ];
    for (const [q, status, code] of cases) {
      const r = await fetch(`${URL}/socket.io/${q}`);
      assert.equal(r.status, status, q);
      assert.equal((await r.json()).code, code, q);
    }
    const post = await fetch(`${URL}/socket.io/?EIO=4&transport=polling`, { method: "POST", body: "40" });
    assert.equal(post.status, 400);
    assert.equal((await post.json()).code, 2);
    const nf = await fetch(`${URL}/elsewhere/?EIO=4&transport=polling`);
    assert.equal(nf.status, 404);
  });

  it("opens a polling session, takes a POST and refuses an oversized one", { timeout: T }, async () => {
    const r = await fetch(`${URL}/socket.io/?EIO=4&transport=polling`);
    const body = await r.text();
    assert.equal(r.headers.get("cache-control"), "no-store");
    const open = JSON.parse(body.slice(1));
    assert.deepEqual(open.upgrades, ["websocket"]);
    assert.equal(open.maxPayload, MAX_PAYLOAD);
    const sidUrl = `${URL}/socket.io/?EIO=4&transport=polling&sid=${open.sid}`;
    const ok = await fetch(sidUrl, { method: "POST", body: "40" });
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), "ok");
    const poll = await fetch(sidUrl);
    const text = await poll.text();
    assert.match(text, /^40\{"sid":"[^"]+"\}\x1e42\["auth",\{\}\]$/);
    const big = await fetch(sidUrl, { method: "POST", body: "4" + "x".repeat(MAX_PAYLOAD) });
    assert.equal(big.status, 413);
  });

  it("limits messages to 64 KiB before the app accepted a socket", { timeout: T }, async () => {
    const ws = new WebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);
    await once(ws, "message");
    ws.send("42" + JSON.stringify(["message", "y".repeat(70 * 1024)]));
    const [code] = await once(ws, "close");
    assert.equal(code, 1009);
  });

  it("closes on a client ping and on a malformed packet", { timeout: T }, async () => {
    for (const bad of ["2", "4", "42{}", "451-[\"a\"]", "7", "40/nsp\u0001,"]) {
      const ws = new WebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);
      await once(ws, "message");
      ws.send("40");
      await once(ws, "message");
      ws.send(bad);
      if (bad.startsWith("451-")) ws.send("4text instead of binary");
      const [code] = await once(ws, "close");
      assert.ok(code === 1000 || code === 1005, `${JSON.stringify(bad)}: ${code}`);
    }
  });

  it("refuses a WebSocket with an unknown sid before the upgrade", { timeout: T }, async () => {
    const ws = new WebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket&sid=unknown`);
    const [err] = await once(ws, "error");
    assert.match(err.message, /400/);
  });

  it("sends CORS headers to an allowed origin only", { timeout: T }, async () => {
    const yes = await fetch(`${URL}/socket.io/?EIO=4&transport=polling`,
      { headers: { Origin: "https://allowed.example" } });
    assert.equal(yes.headers.get("access-control-allow-origin"), "https://allowed.example");
    assert.equal(yes.headers.get("access-control-allow-credentials"), "true");
    await yes.text();
    const no = await fetch(`${URL}/socket.io/?EIO=4&transport=polling`,
      { headers: { Origin: "https://evil.example" } });
    assert.equal(no.headers.get("access-control-allow-origin"), null);
    await no.text();
    const pre = await fetch(`${URL}/socket.io/?EIO=4&transport=polling`, {
      method: "OPTIONS",
      headers: { Origin: "https://allowed.example", "Access-Control-Request-Headers": "x-token" },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-headers"), "x-token");
  });
});

describe("TLS", { skip: !TLS_URL && "SIO_TLS_URL not set" }, () => {
  for (const mode of ["websocket", "polling+upgrade"]) {
    it(`connects and echoes over ${mode}`, { timeout: T }, async () => {
      const s = io(TLS_URL, {
        forceNew: true, reconnection: false, rejectUnauthorized: false,
        ...(mode === "websocket" ? { transports: ["websocket"] } : {}),
      });
      open.add(s);
      await connected(s);
      if (mode !== "websocket") await upgraded(s);
      s.emit("message", "over tls");
      const [back] = await once(s, "message-back");
      assert.equal(back, "over tls");
      s.close();
    });
  }
});
