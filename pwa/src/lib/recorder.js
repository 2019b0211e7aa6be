// Full-process audio: MediaRecorder with a timeslice; every chunk is written to IndexedDB as it
// arrives, so a reload, a crash or a dead battery loses at most the last second. When the
// recording stops (or is recovered after a reload) the chunks become one evidence file.
import { db, getMeta, setMeta } from "./db.js";
import { addMedia, uuid } from "./work.js";

export const TIMESLICE_MS = 1000;

export function audioMime() {
  if (typeof MediaRecorder === "undefined") return null;
  for (const type of ["audio/webm;codecs=opus", "audio/webm", "audio/mp4", "audio/ogg;codecs=opus"]) {
    if (MediaRecorder.isTypeSupported(type)) return type;
  }
  return "";
}

export class Recorder {
  constructor({ visitId, recordId, onTick }) {
    this.visitId = visitId;
    this.recordId = recordId;
    this.onTick = onTick;
    this.recorder = null;
    this.stream = null;
    this.elapsed = 0;
    this.startedAt = null;
    this.n = 0;
  }

  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const mime = audioMime();
    this.recorder = new MediaRecorder(this.stream, mime ? { mimeType: mime } : undefined);
    this.id = uuid();
    this.mime = (this.recorder.mimeType || mime || "audio/webm").split(";")[0];
    await setMeta("recording", {
      id: this.id,
      visit_id: this.visitId,
      record_id: this.recordId,
      mime: this.mime,
      started_at: new Date().toISOString(),
    });
    this.recorder.ondataavailable = async (event) => {
      if (!event.data || !event.data.size) return;
      const bytes = await event.data.arrayBuffer();
      await db.chunks.add({ recording_id: this.id, seq: this.n++, bytes });
    };
    this.recorder.start(TIMESLICE_MS);
    this.startedAt = Date.now();
    this.tick = setInterval(() => this.onTick && this.onTick(this.seconds()), 500);
  }

  seconds() {
    return Math.floor((this.elapsed + (this.startedAt ? Date.now() - this.startedAt : 0)) / 1000);
  }

  pause() {
    if (this.recorder && this.recorder.state === "recording") {
      this.recorder.pause();
      this.elapsed += Date.now() - this.startedAt;
      this.startedAt = null;
    }
  }

  resume() {
    if (this.recorder && this.recorder.state === "paused") {
      this.recorder.resume();
      this.startedAt = Date.now();
    }
  }

  async stop() {
    clearInterval(this.tick);
    const stopped = new Promise((resolve) => {
      this.recorder.onstop = resolve;
    });
    this.recorder.stop();
    await stopped;
    // the final dataavailable fires before stop; give its IndexedDB write a moment to land
    await new Promise((resolve) => setTimeout(resolve, 200));
    this.stream.getTracks().forEach((track) => track.stop());
    return finishRecording();
  }
}

// Turn the stored chunks of the current (or an interrupted) recording into one media file.
export async function finishRecording() {
  const meta = await getMeta("recording");
  if (!meta) return null;
  const chunks = await db.chunks.where("recording_id").equals(meta.id).sortBy("seq");
  let media = null;
  if (chunks.length) {
    const blob = new Blob(chunks.map((c) => c.bytes), { type: meta.mime });
    media = await addMedia({
      visitId: meta.visit_id,
      recordId: meta.record_id,
      kind: "audio",
      bytes: await blob.arrayBuffer(),
      mime: meta.mime,
      name: `录音-${meta.started_at}.${meta.mime.includes("mp4") ? "m4a" : meta.mime.includes("ogg") ? "ogg" : "webm"}`,
    });
  }
  await db.transaction("rw", db.chunks, db.meta, async () => {
    await db.chunks.where("recording_id").equals(meta.id).delete();
    await setMeta("recording", null);
  });
  return media;
}

export async function interruptedRecording() {
  const meta = await getMeta("recording");
  if (!meta) return null;
  const count = await db.chunks.where("recording_id").equals(meta.id).count();
  return { ...meta, chunks: count };
}
