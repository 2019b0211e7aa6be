// Full-process audio: one recorder for the whole app. A recording runs from arrival to the
// party's signature while the inspector moves between the notice, the checklist and the sign-off,
// so it lives here (module state, observable through `recording`), not in a screen.
//
// MediaRecorder with a 1 s timeslice; every chunk is written to IndexedDB as it arrives, so a
// reload, a crash or a dead battery loses at most the last second. When the recording stops (or
// an interrupted one is recovered after a reload) the chunks become one evidence file, in the
// same transaction that deletes them: a crash can leave either the chunks or the file, never both.
import { db, getMeta, setMeta } from "./db.js";
import { signal } from "./signal.js";
import { addMedia, uuid } from "./work.js";

export const TIMESLICE_MS = 1000;
const META = "recording";
// Held while a tab records: a second tab (or this one after a reload, before the old page is
// gone) must neither start a second recording nor turn a live recording's chunks into a file.
const LOCK = "spotcheck-recording";

// What the app shows: null, or { id, visitId, recordId, state: "recording" | "paused" |
// "stopping", offsetMs (earlier parts), baseMs (this part, up to the last pause), since
// (Date.now() while running), error }.
export const recording = signal(null);

let live = null; // this tab's MediaRecorder, stream, lock and the chain of chunk writes
let starting = false; // a second tap on "record" while the microphone is being opened

export function audioMime() {
  if (typeof MediaRecorder === "undefined") return null;
  for (const type of ["audio/webm;codecs=opus", "audio/webm", "audio/mp4", "audio/ogg;codecs=opus"]) {
    if (MediaRecorder.isTypeSupported(type)) return type;
  }
  return "";
}

const partMs = (value) => value.baseMs + (value.since ? Date.now() - value.since : 0);

// Seconds recorded so far (the earlier parts of a recovered recording included).
export function elapsedSeconds(value = recording.value) {
  if (!value) return 0;
  return Math.floor((value.offsetMs + partMs(value)) / 1000);
}

export const clock = (s) => `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;

function update(patch) {
  if (recording.value) recording.value = { ...recording.value, ...patch };
}

// The cross-tab lock, waited for at most `waitMs`; resolves to its release function, or null when
// another tab holds it. Without the Web Locks API (old Safari) every tab is on its own.
function holdLock(waitMs) {
  if (typeof navigator === "undefined" || !navigator.locks) return Promise.resolve(() => {});
  return new Promise((resolve, reject) => {
    const wait = waitMs && typeof AbortSignal !== "undefined" && AbortSignal.timeout;
    const options = wait ? { signal: AbortSignal.timeout(waitMs) } : { ifAvailable: true };
    navigator.locks
      .request(LOCK, options, (lock) => {
        if (!lock) return resolve(null);
        return new Promise((release) => resolve(release));
      })
      .catch((error) => (error && error.name === "AbortError" ? resolve(null) : reject(error)));
  });
}

export class RecorderError extends Error {}

// Start recording the visit's audio into `recordId`. An interrupted recording still on the
// phone is saved first (its chunks would otherwise be orphaned by the new one).
export async function startRecording({ visitId, recordId, offsetMs = 0 }) {
  if (live || starting) throw new RecorderError("已在录音");
  starting = true;
  let release = null;
  let stream;
  try {
    release = await holdLock(1500);
    if (!release) throw new RecorderError("另一个窗口正在录音");
    await finishRecording();
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const mime = audioMime();
    const recorder = new MediaRecorder(stream, mime ? { mimeType: mime } : undefined);
    const meta = {
      id: uuid(),
      visit_id: visitId,
      record_id: recordId,
      mime: (recorder.mimeType || mime || "audio/webm").split(";")[0],
      started_at: new Date().toISOString(),
      offset_ms: offsetMs,
    };
    const session = { recorder, stream, meta, release, seq: 0, writes: Promise.resolve() };
    session.done = new Promise((resolve) => (session.finished = resolve));
    live = session; // before the meta is written: no screen takes it for an interrupted one
    await setMeta(META, meta);
    recorder.ondataavailable = (event) => {
      if (!event.data || !event.data.size) return;
      // Numbered and queued now, written in order: the file is the chunks in `seq` order.
      const row = { recording_id: meta.id, seq: session.seq++, ms: recording.value ? partMs(recording.value) : 0 };
      const blob = event.data;
      session.writes = session.writes.then(async () => {
        try {
          await db.chunks.add({ ...row, bytes: await blob.arrayBuffer() });
        } catch (error) {
          update({ error: String(error.message || error) }); // shown as 录音保存失败：…
        }
      });
    };
    // However the recorder stops (the stop button, sign-off, the microphone taken away), what
    // was recorded becomes evidence.
    recorder.onstop = () => settle(session);
    recorder.onerror = () => recorder.state !== "inactive" && recorder.stop();
    recorder.start(TIMESLICE_MS);
    recording.value = {
      id: meta.id,
      visitId,
      recordId,
      state: "recording",
      offsetMs,
      baseMs: 0,
      since: Date.now(),
      error: null,
    };
    return meta.id;
  } catch (error) {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    live = null;
    if (release) release();
    throw error;
  } finally {
    starting = false;
  }
}

async function settle(session) {
  let media = null;
  try {
    await session.writes; // the last chunk (dataavailable fires before stop) is on the phone
    session.stream.getTracks().forEach((track) => track.stop());
    media = await finishRecording(session.meta.id);
  } catch (error) {
    // The chunks stay on the phone and are offered for recovery.
    console.error(error);
  } finally {
    live = null;
    recording.value = null;
    session.release();
    session.finished(media);
  }
}

export function pauseRecording() {
  if (live && live.recorder.state === "recording") {
    live.recorder.pause();
    update({ state: "paused", baseMs: partMs(recording.value), since: null });
  }
}

export function resumeRecording() {
  if (live && live.recorder.state === "paused") {
    live.recorder.resume();
    update({ state: "recording", since: Date.now() });
  }
}

// Stop this tab's recording and save it; resolves to the new media row (null if nothing).
export async function stopRecording() {
  if (!live) return null;
  const session = live;
  if (session.recorder.state !== "inactive") {
    update({ state: "stopping", baseMs: partMs(recording.value), since: null });
    session.recorder.stop();
  }
  return session.done;
}

// Turn the stored chunks of a recording that is not running (stopped, or interrupted by a
// reload) into one media file. Saving the file and deleting the chunks is one transaction,
// and the file takes the recording's id: run twice (two screens, a crash and a retry), it is
// saved once. `only` limits it to that recording id.
export async function finishRecording(only) {
  const meta = await getMeta(META);
  if (!meta || (only && meta.id !== only)) return null;
  const chunks = await db.chunks.where("recording_id").equals(meta.id).sortBy("seq");
  // Inside the transaction: false when another run has already saved this recording.
  const cleanup = async () => {
    const current = await db.meta.get(META);
    if (!current || !current.value || current.value.id !== meta.id) return false;
    await db.chunks.where("recording_id").equals(meta.id).delete();
    await db.meta.delete(META);
    return !(await db.media.get(meta.id));
  };
  if (!chunks.length) {
    // Nothing was recorded: only the leftovers go.
    await db.transaction("rw", db.chunks, db.meta, db.media, cleanup);
    return null;
  }
  const bytes = await new Blob(chunks.map((c) => c.bytes), { type: meta.mime }).arrayBuffer();
  const ext = meta.mime.includes("mp4") ? "m4a" : meta.mime.includes("ogg") ? "ogg" : "webm";
  // 录音-20261128-070704.webm: Beijing time, no characters a file system refuses.
  const stamp = new Date(meta.started_at)
    .toLocaleString("sv-SE", { timeZone: "Asia/Shanghai", hour12: false })
    .replace(/-/g, "")
    .replace(" ", "-")
    .replace(/:/g, "");
  return addMedia({
    id: meta.id,
    visitId: meta.visit_id,
    recordId: meta.record_id,
    kind: "audio",
    bytes,
    mime: meta.mime,
    name: `录音-${stamp}.${ext}`,
    within: { tables: ["chunks"], work: cleanup },
  });
}

// A recording on the phone that no tab is recording (the page was reloaded or killed).
export async function interruptedRecording() {
  const meta = await getMeta(META);
  if (!meta || (live && live.meta.id === meta.id)) return null;
  // Counted through the index, and one row read: an hour of audio is thousands of chunks.
  const of = () => db.chunks.where("recording_id").equals(meta.id);
  const [count, last] = await Promise.all([of().count(), of().last()]);
  const ms = count ? Math.max((last.ms || 0) + TIMESLICE_MS, count * TIMESLICE_MS) : 0;
  return { ...meta, chunks: count, ms };
}

// Save what an interrupted recording holds as evidence; with `resume`, go on recording the same
// visit at once (a new file: recorder streams cannot be appended to), the clock carrying on.
export async function recoverRecording({ resume = false } = {}) {
  const meta = await interruptedRecording();
  if (!meta) return null;
  const release = await holdLock(3000);
  if (!release) throw new RecorderError("另一个窗口正在录音");
  let media;
  try {
    media = await finishRecording(meta.id);
  } finally {
    release();
  }
  if (resume) {
    await startRecording({
      visitId: meta.visit_id,
      recordId: meta.record_id,
      offsetMs: (meta.offset_ms || 0) + (meta.chunks ? meta.ms : 0),
    });
  }
  return media;
}

// Before a visit's record is signed its audio must be a file, so it is in the signed manifest
// (a file attached after the signature is refused: media_not_in_manifest). Stops this tab's
// recording of the visit, or saves an interrupted one; resolves to the media row or null.
export async function finishVisitRecording(visitId) {
  if (live && live.meta.visit_id === visitId) return stopRecording();
  const meta = await interruptedRecording();
  if (!meta || meta.visit_id !== visitId) return null;
  return recoverRecording();
}
