// Pushing the outbox and pulling the server's changes: plain fetch + IndexedDB, so the service
// worker can run them too (Background Sync with no page open; its uploads: sync/uploads.js).
import { SERVER_TABLES, db as defaultDb, getMeta, setMeta } from "../lib/db.js";
import { ApiError, isPull, isPush, request } from "./api.js";
import { firstPendingSeq, pending, settle } from "./outbox.js";

// The lock every drain holds, in whichever tab or worker: one at a time (Web Locks).
export const DRAIN_LOCK = "spotcheck-drain";

// ---------------------------------------------------------------- pull

export async function pull({ database = defaultDb, fetchImpl } = {}) {
  const token = await getMeta("token", null, database);
  const cursor = await getMeta("cursor", 0, database);
  const body = await request(`/api/v1/sync/pull?cursor=${cursor}`, {
    token,
    expect: isPull,
    fetchImpl,
  });
  await applyPull(body, database);
  return body;
}

export async function applyPull(body, database = defaultDb) {
  const tables = SERVER_TABLES.map((t) => database[t]);
  await database.transaction("rw", [...tables, database.meta], async () => {
    if (body.reset) {
      for (const table of tables) await table.clear(); // server copies only, never local work
    }
    for (const name of SERVER_TABLES) {
      const change = body.changes[name];
      if (!change) continue;
      if (change.upserts.length) await database[name].bulkPut(change.upserts);
      if (change.deletes.length) await database[name].bulkDelete(change.deletes);
    }
    const goneVisits = (body.changes.visits && body.changes.visits.deletes) || [];
    if (goneVisits.length) {
      await database.records.where("visit_id").anyOf(goneVisits).delete();
      await database.comments.where("visit_id").anyOf(goneVisits).delete();
    }
    await database.meta.put({ key: "cursor", value: body.cursor });
    await database.meta.put({ key: "server_time", value: body.server_time });
    await database.meta.put({ key: "pulled_at", value: new Date().toISOString() });
  });
}

// ---------------------------------------------------------------- push

export async function pushAll({ database = defaultDb, fetchImpl } = {}) {
  const token = await getMeta("token", null, database);
  const deviceId = await getMeta("device_id", null, database);
  for (let round = 0; round < 100; round += 1) {
    const batch = await pending(database, 50);
    if (!batch.length) return;
    const mutations = batch.map(({ seq, type, args }) => ({ seq, type, args }));
    try {
      const body = await request("/api/v1/sync/push", {
        method: "POST",
        token,
        json: { device_id: deviceId, mutations },
        expect: isPush,
        fetchImpl,
      });
      await settle(body.results, database);
      await setMeta("server_seq", body.last_mutation_seq, database);
    } catch (error) {
      if (error instanceof ApiError && error.kind === "conflict" && error.body) {
        // A gap: the server expects an earlier seq than our first pending one. That means rows
        // it never saw were dropped here, which must not happen; park and show it.
        const expected = error.body.expected_seq;
        const first = await firstPendingSeq(database);
        const gap = new ApiError("park", 409, error.body, "服务器期待序号 {expected}，本机待发送从 {first} 开始");
        gap.params = { expected, first };
        throw gap;
      }
      throw error;
    }
  }
}
