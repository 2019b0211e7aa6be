import "fake-indexeddb/auto";
import { beforeEach, describe, expect, it } from "vitest";
import { classify, request } from "../src/sync/api.js";
import { openDb, setMeta } from "../src/lib/db.js";
import { applyPull, backoff, pushAll } from "../src/sync/engine.js";
import { enqueue } from "../src/sync/outbox.js";
import { DexieUrlStorage } from "../src/sync/tusstore.js";

let db;
beforeEach(async () => {
  db = openDb(`engine-${Math.random()}`);
  await db.open();
  await setMeta("token", "tok", db);
  await setMeta("device_id", "dev", db);
});

const json = (status, body, type = "application/json") =>
  new Response(body === null ? "" : typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers: { "Content-Type": type },
  });

describe("backoff", () => {
  it("doubles with equal jitter and is capped at five minutes", () => {
    expect(backoff(1, () => 0)).toBe(1000);
    expect(backoff(1, () => 1)).toBe(2000);
    expect(backoff(3, () => 1)).toBe(8000);
    expect(backoff(30, () => 1)).toBe(300000);
    expect(backoff(30, () => 0)).toBe(150000);
  });
});

describe("status rules", () => {
  it("classifies like sync-v1 says", () => {
    expect([0, 500, 503, 408, 429, 409, 401, 400, 403, 422].map(classify)).toEqual([
      "retry", "retry", "retry", "retry", "retry", "conflict", "auth", "park", "park", "park",
    ]);
  });
  it("does not take a captive portal's 200 HTML page for success", async () => {
    const fetchImpl = async () => json(200, "<html>login to wifi</html>", "text/html");
    await expect(request("/api/v1/sync/pull", { fetchImpl })).rejects.toMatchObject({ kind: "retry" });
  });
  it("treats a network failure as retry", async () => {
    const fetchImpl = async () => {
      throw new TypeError("Failed to fetch");
    };
    await expect(request("/x", { fetchImpl })).rejects.toMatchObject({ kind: "retry", status: 0 });
  });
});

describe("push", () => {
  it("sends pending mutations in order and settles them; a lost answer is resent as duplicate", async () => {
    await enqueue([1, 2, 3].map((n) => ({ type: "record.save_draft", args: { n } })), { database: db });
    const bodies = [];
    let lose = true;
    const fetchImpl = async (path, init) => {
      const body = JSON.parse(init.body);
      bodies.push(body);
      if (lose) {
        lose = false;
        throw new TypeError("connection reset"); // applied on the server, answer lost
      }
      return json(200, {
        last_mutation_seq: 3,
        results: body.mutations.map((m) => ({ seq: m.seq, status: "duplicate", result: "applied" })),
      });
    };
    await expect(pushAll({ database: db, fetchImpl })).rejects.toMatchObject({ kind: "retry" });
    expect(await db.outbox.count()).toBe(3); // nothing dropped without an answer
    await pushAll({ database: db, fetchImpl });
    expect(await db.outbox.count()).toBe(0);
    expect(bodies[1].mutations.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(bodies[1].device_id).toBe("dev");
  });
});

describe("pull", () => {
  it("applies upserts and deletes, drops a deleted visit's records, and resets server copies only", async () => {
    await applyPull(
      {
        cursor: 5,
        reset: false,
        server_time: "t",
        changes: {
          visits: { upserts: [{ id: "v1", window_end: "2026-12-31" }, { id: "v2", window_end: "2026-12-30" }], deletes: [] },
          records: { upserts: [{ id: "r1", visit_id: "v1" }], deletes: [] },
        },
      },
      db,
    );
    await db.drafts.add({ id: "d1", visit_id: "v1", task_id: "t", state: "draft" });
    await applyPull(
      { cursor: 6, reset: false, server_time: "t", changes: { visits: { upserts: [], deletes: ["v1"] } } },
      db,
    );
    expect((await db.visits.toArray()).map((v) => v.id)).toEqual(["v2"]);
    expect(await db.records.count()).toBe(0);
    await applyPull({ cursor: 9, reset: true, server_time: "t", changes: { visits: { upserts: [], deletes: [] } } }, db);
    expect(await db.visits.count()).toBe(0);
    expect(await db.drafts.count()).toBe(1); // local work survives a reset
    expect((await db.meta.get("cursor")).value).toBe(9);
  });
});

describe("tus url storage", () => {
  it("finds an unfinished upload by fingerprint after a reopen", async () => {
    const store = new DexieUrlStorage(db);
    const key = await store.addUpload("media:1", { uploadUrl: "/api/v1/uploads/abc", size: 10 });
    const again = new DexieUrlStorage(db);
    const found = await again.findUploadsByFingerprint("media:1");
    expect(found).toEqual([{ uploadUrl: "/api/v1/uploads/abc", size: 10, urlStorageKey: key }]);
    await again.removeUpload(key);
    expect(await again.findAllUploads()).toEqual([]);
  });
});
