import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { db, getMeta, setMeta } from "../src/lib/db.js";
import { sha256Hex } from "../src/lib/hash.js";
import {
  elapsedSeconds,
  finishRecording,
  finishVisitRecording,
  interruptedRecording,
  pauseRecording,
  recording,
  recoverRecording,
  resumeRecording,
  startRecording,
  stopRecording,
} from "../src/lib/recorder.js";
import { addMedia, attachPending } from "../src/lib/work.js";

// MediaRecorder as the browser drives it: the test hands it the audio (`emit`), a timeslice's
// worth at a time; stop() delivers the last chunk, then "stop".
class FakeRecorder {
  static isTypeSupported = (type) => type === "audio/webm;codecs=opus";
  static last = null;
  constructor(stream, options) {
    this.stream = stream;
    this.mimeType = options.mimeType;
    this.state = "inactive";
    FakeRecorder.last = this;
  }
  start(timeslice) {
    this.timeslice = timeslice;
    this.state = "recording";
  }
  emit(text) {
    this.ondataavailable({ data: new Blob([text]) });
  }
  pause() {
    this.state = "paused";
  }
  resume() {
    this.state = "recording";
  }
  stop() {
    this.state = "inactive";
    this.emit("|end");
    setTimeout(() => this.onstop(), 0);
  }
}

const tracks = [];
let gpsAnswer = null; // the pending getCurrentPosition success callback
let gpsCalls = 0;
let gpsHeld = false; // false: GPS is refused at once (the recorder tests); true: it answers when told

beforeEach(async () => {
  await Promise.all(["chunks", "media", "blobs", "meta", "outbox", "drafts"].map((t) => db[t].clear()));
  tracks.length = 0;
  gpsAnswer = null;
  gpsCalls = 0;
  gpsHeld = false;
  vi.stubGlobal("MediaRecorder", FakeRecorder);
  vi.stubGlobal("navigator", {
    mediaDevices: {
      getUserMedia: async () => {
        const track = { stopped: false, stop: () => (track.stopped = true) };
        tracks.push(track);
        return { getTracks: () => [track] };
      },
    },
    geolocation: {
      getCurrentPosition: (ok, refused) => {
        gpsCalls += 1;
        if (gpsHeld) gpsAnswer = ok;
        else refused(new Error("denied"));
      },
    },
  });
});

afterEach(async () => {
  if (recording.value) await stopRecording();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

async function until(check, ms = 2000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const text = async (id) => new TextDecoder().decode((await db.blobs.get(id)).bytes);
const chunkCount = () => db.chunks.count();
const attaches = async () => (await db.outbox.toArray()).filter((r) => r.type === "media.attach");

// What a page killed mid-recording leaves on the phone.
async function leftBehind(id, visitId, parts) {
  await setMeta("recording", { id, visit_id: visitId, record_id: "r-old", mime: "audio/webm", started_at: "2026-11-20T01:00:00Z", offset_ms: 0 });
  await db.chunks.bulkAdd(parts.map((p, seq) => ({ recording_id: id, seq, ms: seq * 1000, bytes: new TextEncoder().encode(p).buffer })));
}

describe("the app-wide recorder", () => {
  it("writes every chunk to the phone as it arrives, with a 1 s timeslice", async () => {
    const id = await startRecording({ visitId: "v1", recordId: "r1" });
    expect(FakeRecorder.last.timeslice).toBe(1000);
    expect(recording.value).toMatchObject({ id, visitId: "v1", recordId: "r1", state: "recording" });
    FakeRecorder.last.emit("a");
    FakeRecorder.last.emit("b");
    await until(async () => (await chunkCount()) === 2);
    expect((await db.chunks.toArray()).map((c) => [c.recording_id, c.seq])).toEqual([[id, 0], [id, 1]]);
    // The live recording is not taken for an interrupted one.
    expect(await interruptedRecording()).toBe(null);
  });

  it("stop saves one audio file of the chunks in order and deletes them, then frees the microphone", async () => {
    const id = await startRecording({ visitId: "v1", recordId: "r1" });
    FakeRecorder.last.emit("one|");
    FakeRecorder.last.emit("two");
    const media = await stopRecording();
    expect(media).toMatchObject({ id, kind: "audio", mime: "audio/webm", record_id: "r1", visit_id: "v1" });
    expect(await text(id)).toBe("one|two|end");
    expect(media.sha256).toBe(await sha256Hex(new TextEncoder().encode("one|two|end")));
    expect(await chunkCount()).toBe(0);
    expect(await getMeta("recording")).toBe(null);
    expect(recording.value).toBe(null);
    expect(tracks.every((track) => track.stopped)).toBe(true);
    expect((await attaches()).map((r) => r.args.sha256)).toEqual([media.sha256]);
  });

  it("pauses and resumes; the clock stands still while paused", async () => {
    let now = 1_000_000;
    vi.spyOn(Date, "now").mockImplementation(() => now);
    await startRecording({ visitId: "v1", recordId: "r1" });
    now += 5000;
    pauseRecording();
    expect(recording.value.state).toBe("paused");
    now += 60000;
    expect(elapsedSeconds()).toBe(5);
    resumeRecording();
    now += 2000;
    expect(recording.value.state).toBe("recording");
    expect(elapsedSeconds()).toBe(7);
  });

  it("recovers an interrupted recording once: the file, no chunks left, a second run does nothing", async () => {
    await leftBehind("rec-1", "v1", ["x", "y", "z"]);
    const found = await interruptedRecording();
    expect(found).toMatchObject({ id: "rec-1", visit_id: "v1", chunks: 3, ms: 3000 });
    const media = await recoverRecording();
    expect(media).toMatchObject({ id: "rec-1", name: "录音-20261120-090000.webm" });
    expect(await text("rec-1")).toBe("xyz");
    expect(await finishRecording()).toBe(null);
    expect(await recoverRecording()).toBe(null);
    expect(await db.media.count()).toBe(1);
    expect(await chunkCount()).toBe(0);
    expect(await interruptedRecording()).toBe(null);
  });

  it("saves the file and deletes the chunks in one transaction: a crash in between keeps neither change", async () => {
    await leftBehind("rec-2", "v1", ["p", "q"]);
    vi.spyOn(db.meta, "delete").mockRejectedValueOnce(new Error("the app was killed"));
    await expect(finishRecording()).rejects.toThrow("the app was killed");
    expect(await db.media.count()).toBe(0);
    expect(await db.blobs.count()).toBe(0);
    expect(await chunkCount()).toBe(2);
    expect((await interruptedRecording()).chunks).toBe(2);
    // The next try saves it, once.
    await finishRecording();
    await finishRecording();
    expect(await db.media.count()).toBe(1);
    expect(await text("rec-2")).toBe("pq");
    expect(await chunkCount()).toBe(0);
  });

  it("two runs at once (sign-off and the recover button) save the recording once", async () => {
    await leftBehind("rec-3", "v1", ["1", "2"]);
    const results = await Promise.all([finishRecording(), finishRecording(), recoverRecording()]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await db.media.count()).toBe(1);
    expect(await attaches()).toHaveLength(1);
  });

  it("starting again saves what an interrupted recording holds first (no orphaned chunks)", async () => {
    await leftBehind("rec-old", "v1", ["old"]);
    const id = await startRecording({ visitId: "v1", recordId: "r1" });
    expect(await text("rec-old")).toBe("old");
    expect((await db.chunks.toArray()).filter((c) => c.recording_id === "rec-old")).toEqual([]);
    expect((await getMeta("recording")).id).toBe(id);
  });

  it("recover and go on: a new file, the clock carrying on from what was saved", async () => {
    await leftBehind("rec-4", "v1", ["a", "b", "c", "d"]);
    await recoverRecording({ resume: true });
    expect(await text("rec-4")).toBe("abcd");
    expect(recording.value).toMatchObject({ visitId: "v1", recordId: "r-old", state: "recording", offsetMs: 4000 });
    expect(elapsedSeconds()).toBeGreaterThanOrEqual(4);
    expect(recording.value.id).not.toBe("rec-4");
  });

  it("refuses a second recording while one runs", async () => {
    await startRecording({ visitId: "v1", recordId: "r1" });
    await expect(startRecording({ visitId: "v2", recordId: "r2" })).rejects.toThrow("已在录音");
  });

  it("sign-off finishes the recording of its own visit only", async () => {
    await startRecording({ visitId: "v1", recordId: "r1" });
    FakeRecorder.last.emit("audio");
    expect(await finishVisitRecording("v2")).toBe(null);
    expect(recording.value.state).toBe("recording");
    const media = await finishVisitRecording("v1");
    expect(await text(media.id)).toBe("audio|end");
    expect(recording.value).toBe(null);
    // An interrupted recording of the visit is saved by sign-off as well.
    await leftBehind("rec-5", "v1", ["k"]);
    expect(await finishVisitRecording("v3")).toBe(null);
    expect((await finishVisitRecording("v1")).id).toBe("rec-5");
  });
});

describe("a photo is saved before GPS answers", () => {
  it("writes the bytes, their SHA-256 and the row at once; the fix is added when it comes", async () => {
    gpsHeld = true;
    const bytes = new TextEncoder().encode("jpeg bytes").buffer;
    const saving = addMedia({ visitId: "v1", recordId: "r1", kind: "photo", bytes, mime: "image/jpeg", questionId: "q1" });
    // GPS has not answered: the photo is on the phone already (a crash now loses nothing).
    await until(() => gpsAnswer);
    const [row] = await db.media.toArray();
    expect(row).toMatchObject({ kind: "photo", question_id: "q1", gps: null, unattached: true });
    expect(row.sha256).toBe(await sha256Hex(bytes));
    expect(await text(row.id)).toBe("jpeg bytes");
    expect(await attaches()).toEqual([]);
    gpsAnswer({ coords: { latitude: 37.5123456, longitude: 122.1193, accuracy: 12.4 } });
    const media = await saving;
    const gps = { lat: 37.512346, lng: 122.1193, accuracy: 12 };
    expect(media.gps).toEqual(gps);
    expect(await db.media.get(row.id)).toMatchObject({ gps, unattached: false });
    expect((await attaches()).map((r) => r.args)).toEqual([expect.objectContaining({ media_id: row.id, sha256: row.sha256, gps })]);
    // The next photo uses that recent fix at once, without asking again.
    await addMedia({ visitId: "v1", recordId: "r1", kind: "photo", bytes, mime: "image/jpeg" });
    expect(gpsCalls).toBe(1);
    expect((await attaches())[1].args.gps).toEqual(gps);
  });

  it("a photo whose attach was cut short by a crash is attached when the app opens again, once", async () => {
    await db.media.add({ id: "m-killed", visit_id: "v1", record_id: "r1", kind: "photo", mime: "image/jpeg", size: 3, sha256: "ab", captured_at: "2026-11-20T01:00:00Z", gps: null, state: "local", unattached: true });
    expect(await attachPending()).toBe(1);
    expect(await attachPending()).toBe(0);
    const [attach] = await attaches();
    expect(attach.args).toMatchObject({ media_id: "m-killed", record_id: "r1", gps: null });
    expect((await db.media.get("m-killed")).unattached).toBe(false);
  });
});
