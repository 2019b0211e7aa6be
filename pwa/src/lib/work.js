// Everything the inspector does on site, as local writes + outbox mutations in one transaction.
import { db, getMeta } from "./db.js";
import { signHash } from "./devicekey.js";
import { recordHash, sha256Hex } from "./hash.js";
import { enqueue } from "../sync/outbox.js";

export const uuid = () => crypto.randomUUID();
export const nowIso = () => new Date().toISOString();

// The last fix this page got, and when: a photo taken a moment later uses it at once.
let lastFix = null;
const RECENT_FIX_MS = 60000;

export function recentGps(now = Date.now()) {
  return lastFix && now - lastFix.at <= RECENT_FIX_MS ? lastFix.gps : null;
}

// GPS when the inspector allowed it; never blocks the visit (3 s at most, null otherwise).
export function currentGps(timeout = 3000) {
  if (typeof navigator === "undefined" || !navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => {
    const done = setTimeout(() => resolve(null), timeout + 200);
    navigator.geolocation.getCurrentPosition(
      (p) => {
        clearTimeout(done);
        const gps = {
          lat: Number(p.coords.latitude.toFixed(6)),
          lng: Number(p.coords.longitude.toFixed(6)),
          accuracy: Math.round(p.coords.accuracy),
        };
        lastFix = { gps, at: Date.now() };
        resolve(gps);
      },
      () => {
        clearTimeout(done);
        resolve(null);
      },
      { enableHighAccuracy: true, timeout, maximumAge: 60000 },
    );
  });
}

async function event(kind, visitId, extra = {}) {
  const gps = await currentGps();
  const row = { id: uuid(), visit_id: visitId, kind, at: nowIso(), gps, ...extra };
  const args = { event_id: row.id, visit_id: visitId, at: row.at, gps };
  if (kind === "notice.delivered") {
    if (extra.signature) args.signature = extra.signature;
    else args.refusal = extra.refusal;
  }
  await enqueue([{ type: kind, args }], {
    tables: ["events"],
    work: async () => {
      await db.events.add(row);
    },
  });
  return row;
}

export const startVisit = (visitId) => event("visit.start", visitId);
export const credentialShown = (visitId) => event("credential.shown", visitId);
export const noticeDelivered = (visitId, { signature, refusal }) =>
  event("notice.delivered", visitId, signature ? { signature } : { refusal });

// ---------------------------------------------------------------- records (drafts)

// A new draft of a section: version 1, or the next version correcting `latest` (its answers,
// notes and findings carried over).
function newDraft(visitId, taskId, latest) {
  return {
    id: uuid(),
    visit_id: visitId,
    task_id: taskId,
    answers: { ...(latest ? latest.answers : {}) },
    notes: { ...(latest ? latest.notes : {}) },
    findings: latest ? latest.findings : "",
    state: "draft",
    version: latest ? (latest.version || 1) + 1 : 1,
    supersedes_id: latest ? latest.id : null,
    created_at: nowIso(),
  };
}

// The open draft of a section, else (unless `correct`) its signed latest version, else a new
// draft. One IndexedDB transaction, so two screens asking at once never make two drafts.
async function sectionDraft(visitId, taskId, correct) {
  return db.transaction("rw", db.drafts, async () => {
    const found = await db.drafts.where("[visit_id+task_id]").equals([visitId, taskId]).toArray();
    const open = found.find((d) => d.state === "draft");
    if (open) return open;
    const latest = found.sort((a, b) => (b.version || 1) - (a.version || 1))[0];
    // A section already signed stays as it is; a new version starts only for a correction.
    if (latest && !correct) return latest;
    const row = newDraft(visitId, taskId, latest);
    await db.drafts.add(row);
    return row;
  });
}

export const draftFor = (visitId, taskId) => sectionDraft(visitId, taskId, false);
export const startCorrection = (visitId, taskId) => sectionDraft(visitId, taskId, true);

// Saved locally at once (every change); sent to the server as record.save_draft, coalesced.
// Answers and notes are merged key by key inside one transaction: two quick taps never undo
// each other (a screen's copy of the draft may be a render behind).
export async function saveLocal(draftId, { answers, notes, findings } = {}) {
  await db.transaction("rw", db.drafts, async () => {
    const row = await db.drafts.get(draftId);
    if (!row || row.state !== "draft") return;
    const patch = { updated_at: nowIso(), dirty: true };
    if (answers) patch.answers = { ...row.answers, ...answers };
    if (notes) patch.notes = { ...row.notes, ...notes };
    if (findings !== undefined) patch.findings = findings;
    await db.drafts.update(draftId, patch);
  });
}

// A record.save_draft for a draft the server has never seen (inside an enqueue transaction).
async function announceDraft(draftId) {
  const row = await db.drafts.get(draftId);
  if (!row || row.announced || row.state !== "draft") return [];
  await db.drafts.update(draftId, { announced: true, dirty: false });
  return [draftMutation(row)];
}

function draftMutation(row) {
  return {
    type: "record.save_draft",
    args: {
      record_id: row.id,
      visit_id: row.visit_id,
      task_id: row.task_id,
      answers: row.answers,
      notes: { ...row.notes, ...(row.findings ? { _findings: row.findings } : {}) },
    },
  };
}

export async function flushDraft(draftId) {
  const row = await db.drafts.get(draftId);
  if (!row || row.state !== "draft" || !row.dirty) return;
  await enqueue([], {
    tables: ["drafts"],
    work: async () => {
      await db.drafts.update(draftId, { dirty: false, announced: true });
      return [draftMutation(row)];
    },
  });
}

// ---------------------------------------------------------------- media

// A file becomes evidence in two steps, so that nothing waits before the bytes are safe:
// 1. its bytes, their SHA-256 and its row are written at once (with `within.work`, e.g. deleting
//    the audio chunks it was made of, in the same transaction; if that returns false the file
//    is not written — another run saved it already);
// 2. the GPS fix (a recent one at once, else waited for up to 1.5 s) is added to the row and the
//    media.attach mutation enqueued. A crash between the two leaves a row marked `unattached`,
//    which attachPending() finishes when the app opens again (without a fix: none was taken).
export async function addMedia({ id, visitId, recordId, kind, bytes, mime, name, questionId, thumb, within }) {
  const sha256 = await sha256Hex(bytes);
  const media = {
    id: id || uuid(),
    visit_id: visitId,
    record_id: recordId,
    kind,
    mime,
    size: bytes.byteLength,
    sha256,
    name: name || null,
    question_id: questionId || null,
    captured_at: nowIso(),
    gps: null,
    thumb: thumb || null,
    state: "local",
    unattached: true,
  };
  const tables = [db.media, db.blobs, db.meta, ...((within && within.tables) || []).map((t) => db[t])];
  const written = await db.transaction("rw", tables, async () => {
    if (within && (await within.work()) === false) return false;
    await db.blobs.put({ id: media.id, bytes });
    await db.media.add(media);
    return true;
  });
  if (!written) return null;
  attaching.add(media.id);
  try {
    const gps = recentGps() || (await currentGps(1500));
    await attachMedia(media.id, gps);
    return { ...media, gps, unattached: false };
  } finally {
    attaching.delete(media.id);
  }
}

const attaching = new Set(); // rows of this page still waiting for their fix

// Step 2: the fix on the row and the media.attach mutation, once (one transaction).
async function attachMedia(mediaId, gps) {
  await enqueue([], {
    tables: ["media", "drafts"],
    work: async () => {
      const media = await db.media.get(mediaId);
      if (!media || !media.unattached) return [];
      await db.media.update(mediaId, { gps, unattached: false });
      // The server must know the record before a file is attached to it.
      const announce = await announceDraft(media.record_id);
      return [
        ...announce,
        {
          type: "media.attach",
          args: {
            media_id: media.id,
            record_id: media.record_id,
            kind: media.kind,
            sha256: media.sha256,
            size: media.size,
            mime: media.mime,
            captured_at: media.captured_at,
            gps,
          },
        },
      ];
    },
  });
}

// Files whose bytes were saved but whose attach was cut short (the app was killed while it
// waited for GPS): attached now, without a fix.
export async function attachPending() {
  const rows = await db.media.filter((m) => m.unattached === true && !attaching.has(m.id)).toArray();
  for (const row of rows) await attachMedia(row.id, null);
  return rows.length;
}

// ---------------------------------------------------------------- the signed record

export async function buildRecord({ visit, subject, task, draft, events, media, sign }) {
  const deviceId = await getMeta("device_id");
  const section = visit.sections.find((s) => s.task_id === draft.task_id) || { team: [] };
  const at = (kind) => (events.find((e) => e.kind === kind) || {}).at || null;
  const started = events.find((e) => e.kind === "visit.start");
  const notice = events.find((e) => e.kind === "notice.delivered");
  const record = {
    schema: "spotcheck.record.v1",
    record_id: draft.id,
    visit_id: visit.id,
    task_id: draft.task_id,
    version: draft.version || 1,
    device_id: deviceId,
    subject: {
      id: visit.subject_id,
      uscc: visit.uscc,
      name: subject ? subject.name : "",
      address: subject ? subject.address : "",
    },
    task: { id: draft.task_id, number: task ? task.number : null, name: task ? task.name : "" },
    inspectors: section.team.map((m) => ({ name: m.name, credential_no: m.credential_no, lead: m.is_lead })),
    started_at: at("visit.start"),
    gps: started ? started.gps : null,
    credential_shown_at: at("credential.shown"),
    notice: notice
      ? { delivered_at: notice.at, signed: Boolean(notice.signature), refusal: notice.refusal ? notice.refusal.note : null }
      : null,
    answers: draft.answers,
    notes: draft.notes,
    findings: draft.findings || "",
    // question_id ties a photo to its "须拍照" question: the server refuses a record whose
    // required photos are missing (sync push photo_missing), just as missingFor blocks signing.
    media: media
      .filter((m) => !m.removed)
      .map((m) => ({
        media_id: m.id,
        sha256: m.sha256,
        kind: m.kind,
        mime: m.mime,
        size: m.size,
        captured_at: m.captured_at,
        ...(m.question_id ? { question_id: m.question_id } : {}),
      })),
    sign: sign.refusal
      ? { refused: true, note: sign.refusal, witness: sign.witness }
      : { refused: false, signer: sign.signer },
    finished_at: sign.finished_at,
  };
  if (draft.supersedes_id) record.supersedes_id = draft.supersedes_id;
  return { record, hash: await recordHash(record) };
}

export async function submitRecord({ draft, record, hash, signatures, correctionReason }) {
  const key = await getMeta("device_key");
  const deviceSignature = await signHash(key.privateKey, hash);
  const args = {
    record_id: draft.id,
    visit_id: draft.visit_id,
    task_id: draft.task_id,
    record,
    record_hash: hash,
    device_signature: deviceSignature,
    signatures,
    media: record.media.map((m) => ({ media_id: m.media_id, sha256: m.sha256 })),
  };
  if (draft.supersedes_id) {
    args.supersedes_id = draft.supersedes_id;
    args.correction_reason = correctionReason || "更正";
  }
  await enqueue([{ type: "record.submit", args }], {
    tables: ["drafts"],
    work: async () => {
      await db.drafts.update(draft.id, {
        state: "submitted",
        record_hash: hash,
        submitted_at: new Date().toISOString(),
        dirty: false,
      });
    },
  });
}

export async function requestRecusal({ visitId, taskId, mode, explanation }) {
  await enqueue([
    { type: "recusal.request", args: { visit_id: visitId, task_id: taskId, mode, explanation } },
  ]);
}

// GB 11643-1999 check character of an 18-character resident ID (domain.md, Identifiers).
export function validResidentId(value) {
  const text = String(value || "").trim().toUpperCase();
  if (!/^[0-9]{17}[0-9X]$/.test(text)) return false;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((acc, w, i) => acc + w * Number(text[i]), 0);
  return "10X98765432"[sum % 11] === text[17];
}
