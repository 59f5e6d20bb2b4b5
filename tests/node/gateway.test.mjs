// gateway.test.mjs - sync-gateway (DESIGN §6) with the real socket.io-client
// 4.8.1, over transports:["websocket"] and over the default polling with
// upgrade. Started by tests/suites/40-gateway.sh, which runs the gateway and
// sets the environment (see gw-helpers.mjs).
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  TRANSPORTS, ack, closeAll, connect, connectError, disconnected, fence, fileRow, newKey,
  newStore, pg, psql, rawSocket, sha256, sleep, sqlWrite, storeSeq, syncctl,
} from "./gw-helpers.mjs";
import { readFileSync } from "node:fs";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

for (const transport of Object.keys(TRANSPORTS)) {
  describe(`gateway over ${transport}`, () => {
    const open = [];
    const conn = async (key, how) => { const s = await connect(transport, key, how); open.push(s); return s; };
    after(() => closeAll(open));

    it("connects with a key in the query, in auth.apiKey and in auth.token", async () => {
      const store = newStore();
      const { key } = newKey(store);
      for (const how of ["query", "apiKey", "token"]) {
        const s = await conn(key, how);
        assert.equal(typeof s.id, "string");
        assert.ok(s.connected, how);
        if (transport === "websocket") assert.equal(s.io.engine.transport.name, "websocket");
      }
    });

    it("refuses with UNAUTHORIZED, INVALID_KEY and KEY_REVOKED", async () => {
      const store = newStore();
      const good = newKey(store);
      const revoked = newKey(store);
      syncctl("key", "revoke", store, revoked.id);
      assert.equal(await connectError(transport, undefined), "UNAUTHORIZED");
      assert.equal(await connectError(transport, ""), "UNAUTHORIZED");
      assert.equal(await connectError(transport, "sk_store_nonsense"), "INVALID_KEY");
      assert.equal(await connectError(transport, "x".repeat(300), "apiKey"), "INVALID_KEY");
      // well-formed but unknown: the good key with its random part changed
      const unknown = good.key.slice(0, -4) + (good.key.endsWith("AAAA") ? "BBBB" : "AAAA");
      assert.equal(await connectError(transport, unknown), "INVALID_KEY");
      assert.equal(await connectError(transport, unknown, "token"), "INVALID_KEY");
      assert.equal(await connectError(transport, revoked.key), "KEY_REVOKED");
      assert.equal(await connectError(transport, revoked.key, "apiKey"), "KEY_REVOKED");
    });

    it("refuses the admin key (it belongs to no store) with INVALID_KEY", async () => {
      for (const how of ["query", "apiKey", "token"])
        assert.equal(await connectError(transport, process.env.ADMIN_API_KEY, how), "INVALID_KEY", how);
    });

    it("refuses writes of a read-only key with FORBIDDEN, and still delivers to it", async () => {
      const store = newStore();
      const ro = await conn(newKey(store, "read").key);
      const rw = await conn(newKey(store).key);
      for (const [ev, payload] of [
        ["created-file", { path: "ro.md" }],
        ["modified-file", { path: "ro.md", content: "x" }],
        ["deleted-file", { path: "ro.md" }],
        ["renamed-file", { oldPath: "ro.md", newPath: "ro2.md" }],
      ]) {
        const r = await ack(ro, ev, payload);
        assert.equal(r.success, false, ev);
        assert.equal(r.error.code, "FORBIDDEN", ev);
        assert.equal(typeof r.error.message, "string");
      }
      assert.equal(fileRow(store, "ro.md"), null);
      const ok = await ack(rw, "modified-file", { path: "by-rw.md", content: "hi" });
      assert.equal(ok.success, true);
      const e = await ro.waitPath("by-rw.md");
      assert.equal(e.name, "file-created");
    });

    it("sends a write to the others as file-created / file-modified, never back to the writer", async () => {
      const store = newStore();
      const { key } = newKey(store);
      const a = await conn(key);
      const b = await conn(key);
      const content1 = "# Note\n\"quoted\" and a/slash ü €\n";
      const r1 = await ack(a, "modified-file", { path: "notes/Note.MD", content: content1 });
      assert.deepEqual(r1, { success: true, hash: sha256(content1) });
      const created = await b.waitPath("notes/Note.MD");
      assert.equal(created.name, "file-created");
      assert.equal(created.data.content, content1);
      assert.equal(created.data.hash, sha256(content1));
      assert.equal(created.data.size, Buffer.byteLength(content1));
      assert.equal(created.data.isBinary, false);
      assert.equal(created.data.extension, "md");
      assert.match(created.data.createdAt, ISO);
      assert.equal(created.data.seq, storeSeq(store));

      const content2 = content1 + "more\n";
      const r2 = await ack(a, "modified-file", { path: "notes/Note.MD", content: content2 });
      assert.deepEqual(r2, { success: true, hash: sha256(content2) });
      await b.waitFor((l) => l.length === 2, 5000, "file-modified");
      const mod = b.log[1];
      assert.equal(mod.name, "file-modified");
      assert.deepEqual(Object.keys(mod.data).sort(),
        ["content", "extension", "hash", "isBinary", "path", "seq", "size", "updatedAt"]);
      assert.equal(mod.data.path, "notes/Note.MD");
      assert.equal(mod.data.content, content2);
      assert.equal(mod.data.hash, sha256(content2));
      assert.equal(mod.data.size, Buffer.byteLength(content2));
      assert.match(mod.data.updatedAt, ISO);
      assert.equal(mod.data.seq, created.data.seq + 1);

      // the same content again is a no-op: acked with the hash, no broadcast
      const r3 = await ack(a, "modified-file", { path: "notes/Note.MD", content: content2 });
      assert.deepEqual(r3, { success: true, hash: sha256(content2) });
      await fence(store, [a, b]);
      assert.equal(b.log.length, 3);                 // the two writes and the fence
      assert.equal(a.log.length, 1, "the writer got its own events: " + JSON.stringify(a.log));
    });

    it("sends a REST-equivalent write (origin NULL) to every socket of the store", async () => {
      const store = newStore();
      const { key } = newKey(store);
      const a1 = await conn(key);
      const a2 = await conn(key);
      const seq = sqlWrite(store, "rest.md", "from rest");
      for (const s of [a1, a2]) {
        const e = await s.waitPath("rest.md");
        assert.equal(e.name, "file-created");
        assert.equal(e.data.seq, seq);
        assert.equal(e.data.content, "from rest");
      }
    });

    it("applies an event sent without an ack callback", async () => {
      const store = newStore();
      const { key } = newKey(store);
      const a = await conn(key);
      const b = await conn(key);
      a.emit("modified-file", { path: "noack.md", content: "no ack" });
      const e = await b.waitPath("noack.md");
      assert.equal(e.data.content, "no ack");
      assert.equal(fileRow(store, "noack.md").content, "no ack");
    });

    it("deletes: file-deleted to the others, success also when absent", async () => {
      const store = newStore();
      const { key } = newKey(store);
      const a = await conn(key);
      const b = await conn(key);
      await ack(a, "modified-file", { path: "del/x.md", content: "doomed" });
      await b.waitPath("del/x.md");
      assert.deepEqual(await ack(a, "deleted-file", { path: "del/x.md" }), { success: true });
      await b.waitFor((l) => l.length === 2, 5000, "file-deleted");
      const d = b.log[1];
      assert.equal(d.name, "file-deleted");
      assert.deepEqual(Object.keys(d.data).sort(), ["deletedAt", "path", "seq"]);
      assert.equal(d.data.path, "del/x.md");
      assert.match(d.data.deletedAt, ISO);
      assert.equal(d.data.seq, storeSeq(store));
      assert.equal(fileRow(store, "del/x.md").tombstone, true);
      // absent, and already deleted: success, nothing broadcast
      assert.deepEqual(await ack(a, "deleted-file", { path: "never/was.md" }), { success: true });
      assert.deepEqual(await ack(a, "deleted-file", { path: "del/x.md" }), { success: true });
      await fence(store, [b]);
      assert.equal(b.log.length, 3);
    });

    it("delivers every change of a delete-all (one notification for several seqs)", async () => {
      const store = newStore();
      const { key } = newKey(store);
      const b = await conn(key);
      for (const p of ["all/c.md", "all/a.md", "all/b.md"]) sqlWrite(store, p, p);
      await b.waitPath("all/b.md");
      const before = storeSeq(store);
      psql(`SELECT * FROM sync_file_delete_all('${store}', NULL, 30)`);
      await b.waitFor((l) => l.length === 6, 5000, "three file-deleted");
      const dels = b.log.slice(3);
      assert.deepEqual(dels.map((e) => e.name), ["file-deleted", "file-deleted", "file-deleted"]);
      assert.deepEqual(dels.map((e) => e.data.path), ["all/a.md", "all/b.md", "all/c.md"]);
      assert.deepEqual(dels.map((e) => e.data.seq), [before + 1, before + 2, before + 3]);
    });

    it("renames: file-renamed with the content, the old path left as a tombstone", async () => {
      const store = newStore();
      const { key } = newKey(store);
      const a = await conn(key);
      const b = await conn(key);
      await ack(a, "modified-file", { path: "old/name.md", content: "keep me" });
      await b.waitPath("old/name.md");
      assert.deepEqual(await ack(a, "renamed-file", { oldPath: "old/name.md", newPath: "new/Name.md" }),
        { success: true });
      const r = await b.waitPath("new/Name.md");
      assert.equal(r.name, "file-renamed");
      assert.deepEqual(Object.keys(r.data).sort(),
        ["content", "extension", "hash", "isBinary", "newPath", "oldPath", "seq", "size", "updatedAt"]);
      assert.equal(r.data.oldPath, "old/name.md");
      assert.equal(r.data.content, "keep me");
      assert.equal(r.data.hash, sha256("keep me"));
      assert.equal(r.data.size, 7);
      assert.equal(r.data.extension, "md");
      assert.match(r.data.updatedAt, ISO);
      const old = fileRow(store, "old/name.md");
      assert.equal(old.tombstone, true);
      assert.equal(old.content, "");
      assert.equal(fileRow(store, "new/Name.md").content, "keep me");
      assert.equal(a.log.length, 0);
    });

    it("acks created-file on a live file with its hash and broadcasts nothing", async () => {
      const store = newStore();
      const { key } = newKey(store);
      const a = await conn(key);
      const b = await conn(key);
      const c = "already here";
      await ack(a, "modified-file", { path: "exists.md", content: c });
      await b.waitPath("exists.md");
      assert.deepEqual(await ack(a, "created-file", { path: "exists.md" }), { success: true, hash: sha256(c) });
      await fence(store, [b]);
      assert.equal(b.log.length, 2);
      assert.equal(fileRow(store, "exists.md").content, c);
      // on a new path: an empty file, broadcast as file-created
      assert.deepEqual(await ack(a, "created-file", { path: "empty.md" }), { success: true, hash: sha256("") });
      const e = await b.waitPath("empty.md");
      assert.equal(e.name, "file-created");
      assert.equal(e.data.content, "");
      assert.equal(e.data.size, 0);
    });

    it("answers bad payloads with VALIDATION_ERROR and unknown events with UNKNOWN_EVENT", async () => {
      const store = newStore();
      const a = await conn(newKey(store).key);
      const bad = [
        ["modified-file", "just a string"],
        ["modified-file", null],
        ["modified-file", [{ path: "a.md", content: "x" }]],
        ["modified-file", { path: "a.md" }],
        ["modified-file", { path: "a.md", content: 12 }],
        ["modified-file", { path: "/abs.md", content: "x" }],
        ["modified-file", { path: "a/../b.md", content: "x" }],
        ["modified-file", { path: "nul.md", content: "a\u0000b" }],
        ["created-file", {}],
        ["created-file", { path: 5 }],
        ["deleted-file", { path: "" }],
        ["renamed-file", { oldPath: "a.md" }],
        ["renamed-file", { oldPath: "a.md", newPath: "b?.md" }],
        // a binary attachment: content travels as base64 text
        ["modified-file", { path: "img.png", content: Buffer.from([0x89, 0x50, 0x4e, 0x47]) }],
      ];
      for (const [ev, payload] of bad) {
        const r = await ack(a, ev, payload);
        assert.equal(r.success, false, `${ev} ${JSON.stringify(payload)}`);
        assert.equal(r.error.code, "VALIDATION_ERROR", `${ev} ${JSON.stringify(payload)}`);
        assert.ok(r.error.message.length > 0);
      }
      const big = "x".repeat(10 * 1024 * 1024 + 1);
      const r = await ack(a, "modified-file", { path: "toobig.md", content: big }, 30000);
      assert.equal(r.error.code, "VALIDATION_ERROR");
      const u = await ack(a, "no-such-event", { path: "a.md" });
      assert.equal(u.success, false);
      assert.equal(u.error.code, "UNKNOWN_EVENT");
      assert.equal(storeSeq(store), 0, "nothing was written");
      assert.ok(a.connected);
    });

    it("keeps two stores apart", async () => {
      const s1 = newStore();
      const s2 = newStore();
      const a1 = await conn(newKey(s1).key);
      const b1 = await conn(newKey(s1).key);
      const b2 = await conn(newKey(s2).key);
      await ack(a1, "modified-file", { path: "only-in-1.md", content: "1" });
      sqlWrite(s1, "rest-only-in-1.md", "1");
      await b1.waitPath("rest-only-in-1.md");
      await fence(s2, [b2]);
      assert.equal(b2.log.length, 1, JSON.stringify(b2.log));
    });

    it("delivers 100 writes to 50 sockets of one room, each in seq order, once", async () => {
      const store = newStore();
      const { key } = newKey(store);
      const writer = await conn(key);
      const readers = await Promise.all(Array.from({ length: 50 }, () => conn(key)));
      const acks = [];
      for (let i = 0; i < 100; i++)
        acks.push(ack(writer, "modified-file", { path: `many/${String(i).padStart(3, "0")}.md`, content: `n${i}` }));
      const results = await Promise.all(acks);
      assert.ok(results.every((r) => r.success));
      await Promise.all(readers.map((r) => r.waitFor((l) => l.length >= 100, 30000, "100 events")));
      await sleep(100);
      for (const r of readers) {
        assert.equal(r.log.length, 100);
        const seqs = r.log.map((e) => e.data.seq);
        for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[0] + i, "consecutive seqs");
        // the ack order is the seq order: the writes of one socket are applied in order
        assert.deepEqual(r.log.map((e) => e.data.path),
          Array.from({ length: 100 }, (_, i) => `many/${String(i).padStart(3, "0")}.md`));
      }
      assert.equal(writer.log.length, 0);
      closeAll(readers);
    });

    it("round-trips a 10 MiB content event intact", async () => {
      const store = newStore();
      const { key } = newKey(store);
      const a = await conn(key);
      const b = await conn(key);
      const unit = "line \"quoted\" \\ / \t é 日本 😀\n";
      let content = unit.repeat(Math.ceil(10 * 1024 * 1024 / Buffer.byteLength(unit)));
      while (Buffer.byteLength(content) > 10 * 1024 * 1024) content = content.slice(0, -1);
      const r = await ack(a, "modified-file", { path: "big/ten.md", content }, 60000);
      assert.deepEqual(r, { success: true, hash: sha256(content) });
      const e = await b.waitPath("big/ten.md", 60000);
      assert.equal(e.data.size, Buffer.byteLength(content));
      assert.equal(e.data.hash, sha256(content));
      assert.ok(e.data.content === content, "content differs");
    });

    it("survives a PostgreSQL restart: every write before and after delivered once, in order", async () => {
      const store = newStore();
      const { key } = newKey(store);
      const a = await conn(key);
      const b = await conn(key);
      let gone = false;
      for (const s of [a, b]) s.on("disconnect", () => { gone = true; });
      await ack(a, "modified-file", { path: "pg/before-1.md", content: "1" });
      sqlWrite(store, "pg/before-2.md", "2");
      await b.waitPath("pg/before-2.md");

      pg("pg_stop fast");
      const down = await ack(a, "modified-file", { path: "pg/during.md", content: "x" });
      assert.equal(down.success, false);
      assert.equal(down.error.code, "UNAVAILABLE");
      assert.equal(await connectError(transport, key), "UNAVAILABLE");
      pg("pg_start");

      // written before the gateway noticed: only the replay can deliver these
      sqlWrite(store, "pg/after-rest-1.md", "3");
      sqlWrite(store, "pg/after-rest-2.md", "4");
      const r = await ack(a, "modified-file", { path: "pg/after-socket.md", content: "5" }, 20000);
      assert.equal(r.success, true, JSON.stringify(r));
      sqlWrite(store, "pg/after-rest-3.md", "6");
      await b.waitPath("pg/after-rest-3.md", 20000);
      await sleep(200);

      const paths = b.log.map((e) => e.data.path);
      assert.deepEqual(paths, ["pg/before-1.md", "pg/before-2.md", "pg/after-rest-1.md",
        "pg/after-rest-2.md", "pg/after-socket.md", "pg/after-rest-3.md"]);
      const seqs = b.log.map((e) => e.data.seq);
      assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(a.log.map((e) => e.data.path),
        ["pg/before-2.md", "pg/after-rest-1.md", "pg/after-rest-2.md", "pg/after-rest-3.md"]);
      assert.equal(gone, false, "a socket was disconnected");
      assert.ok(a.connected && b.connected);
      // and it keeps working
      const again = await conn(key);
      assert.ok(again.connected);
    });

    it("disconnects the sockets of a revoked key within a second", async () => {
      const store = newStore();
      const k1 = newKey(store);
      const k2 = newKey(store);
      const s1 = await conn(k1.key);
      const s1b = await conn(k1.key, "token");
      const s2 = await conn(k2.key);
      const waits = [disconnected(s1, 1000), disconnected(s1b, 1000), disconnected(s2, 1500)];
      syncctl("key", "revoke", store, k1.id);
      const [r1, r1b, r2] = await Promise.all(waits);
      assert.equal(r1, "io server disconnect");
      assert.equal(r1b, "io server disconnect");
      assert.equal(r2, "(still connected)");
      assert.equal(await connectError(transport, k1.key), "KEY_REVOKED");
    });

    it("disconnects a key revoked while the LISTEN connection was down", async () => {
      const store = newStore();
      const k = newKey(store);
      const s = await conn(k.key);
      const gone = disconnected(s, 6000);
      pg("pg_stop fast");
      pg("pg_start");
      syncctl("key", "revoke", store, k.id);    // most likely before the gateway re-LISTENs
      assert.equal(await gone, "io server disconnect");
    });

    it("disconnects the sockets of a deleted store within a second", async () => {
      const store = newStore();
      const other = newStore();
      const s = await conn(newKey(store).key);
      const o = await conn(newKey(other).key);
      const waits = [disconnected(s, 1000), disconnected(o, 1500)];
      syncctl("store", "delete", store);
      const [r, ro] = await Promise.all(waits);
      assert.equal(r, "io server disconnect");
      assert.equal(ro, "(still connected)");
    });
  });
}

describe("gateway limits", () => {
  it("disconnects a client whose unsent queue passes 64 MiB", async () => {
    const store = newStore();
    const { key } = newKey(store);
    const raw = await rawSocket(key);
    const writer = await connect("websocket", key);
    try {
      raw.pause();                       // the client stops reading; the kernel buffers fill
      // 10 MiB events of distinct files: about 120 MiB for the stalled client
      for (let i = 0; i < 10; i++) {
        const content = String.fromCharCode(97 + i).repeat(10 * 1024 * 1024);
        const r = await ack(writer, "modified-file", { path: `q/${i}.md`, content }, 60000);
        assert.equal(r.success, true);
      }
      const log = process.env.GW_LOG;
      const want = `disconnected ${raw.sid} (send queue full)`;
      const t0 = Date.now();
      while (!readFileSync(log, "utf8").includes(want)) {
        if (Date.now() - t0 > 20000) assert.fail(`no "${want}" in the gateway log`);
        await sleep(100);
      }
      raw.resume();
      const code = await Promise.race([raw.closed, sleep(10000).then(() => "(open)")]);
      assert.notEqual(code, "(open)", "the connection is closed");
      assert.ok(writer.connected, "the writer is unaffected");
    } finally {
      raw.ws.terminate();
      writer.close();
    }
  });
});
