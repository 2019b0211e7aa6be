// The phone's database (IndexedDB through Dexie). Two kinds of data live here:
// - server copies (visits, tasks, items, subjects, checklists, credential, records, comments):
//   replaced by pulls, discarded on `reset`;
// - the inspector's own work (drafts, events, outbox, media + their bytes, audio chunks):
//   never discarded until the server has confirmed it (outbox: applied or rejected and seen;
//   media: verified hash).
// Media bytes are ArrayBuffers in their own table (Safari has lost Blobs stored in IndexedDB),
// so listing media never loads the bytes.
import Dexie from "dexie";

export const SERVER_TABLES = [
  "visits",
  "tasks",
  "items",
  "subjects",
  "checklists",
  "credential",
  "records",
  "comments",
];

export function openDb(name = "spotcheck") {
  const db = new Dexie(name);
  db.version(1).stores({
    meta: "&key",
    visits: "&id, window_end",
    tasks: "&id",
    items: "&id",
    subjects: "&id",
    checklists: "&id",
    credential: "&id",
    records: "&id, visit_id",
    comments: "&id, record_id, visit_id",
    // Local work. drafts: one per (visit, task) section being written on this phone.
    drafts: "&id, [visit_id+task_id], visit_id, state",
    events: "&id, visit_id, kind",
    // The outbox: mutations in device sequence order; state pending | applied | rejected.
    outbox: "&seq, state, type",
    media: "&id, visit_id, record_id, state",
    blobs: "&id",
    chunks: "++n, recording_id",
    tusurls: "&key, fingerprint",
  });
  return db;
}

export const db = openDb();

export async function getMeta(key, fallback = null, database = db) {
  const row = await database.meta.get(key);
  return row ? row.value : fallback;
}

export async function setMeta(key, value, database = db) {
  await database.meta.put({ key, value });
}
