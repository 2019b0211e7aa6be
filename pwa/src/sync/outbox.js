// The outbox: every change the inspector makes becomes a sync-v1 mutation with the next device
// sequence number, written in the same IndexedDB transaction as the local change it describes,
// so the two can never disagree after a crash. Rows leave the outbox only when the server has
// answered for them (applied → deleted; rejected → kept and shown until the inspector dismisses).
import { db as defaultDb } from "../lib/db.js";

export const PENDING = "pending";
export const REJECTED = "rejected";

// Run `work(tx)` and enqueue `mutations` (or what `work` returns) in one transaction.
export async function enqueue(mutations, { database = defaultDb, tables = [], work } = {}) {
  const stores = [database.meta, database.outbox, ...tables.map((t) => database[t])];
  const assigned = await database.transaction("rw", stores, async () => {
    const extra = work ? await work() : [];
    const all = [...(mutations || []), ...(extra || [])];
    const meta = await database.meta.get("seq");
    let seq = meta ? meta.value : 0;
    const rows = all.map(({ type, args }) => {
      seq += 1;
      return { seq, type, args, state: PENDING, created_at: new Date().toISOString(), tries: 0 };
    });
    await database.outbox.bulkAdd(rows);
    await database.meta.put({ key: "seq", value: seq });
    return rows.map((r) => r.seq);
  });
  for (const listener of listeners) listener();
  return assigned;
}

const listeners = new Set();
export function onEnqueue(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export async function pending(database = defaultDb, limit = 50) {
  return database.outbox.where("state").equals(PENDING).sortBy("seq").then((r) => r.slice(0, limit));
}

// Apply the server's answers: applied (or duplicate of applied) rows go; rejected ones stay with
// the reason, out of the queue.
export async function settle(results, database = defaultDb) {
  await database.transaction("rw", database.outbox, async () => {
    for (const result of results) {
      const row = await database.outbox.get(result.seq);
      if (!row) continue;
      const outcome = result.status === "duplicate" ? result.result : result.status;
      if (outcome === "rejected") {
        await database.outbox.update(result.seq, {
          state: REJECTED,
          error: result.error || { code: "rejected", message: "" },
          settled_at: new Date().toISOString(),
        });
      } else {
        await database.outbox.delete(result.seq);
      }
    }
  });
}

// The server says it has applied everything up to `last` (409 expected_seq - 1): answers were
// lost on the way back. Push them again to learn their outcome (they come back as duplicates).
export async function firstPendingSeq(database = defaultDb) {
  const first = await database.outbox.where("state").equals(PENDING).sortBy("seq");
  return first.length ? first[0].seq : null;
}
