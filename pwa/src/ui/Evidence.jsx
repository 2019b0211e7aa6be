import { useEffect, useRef, useState } from "preact/hooks";
import { captureFile } from "../lib/capture.js";
import { t } from "../lib/i18n.js";
import { Recorder, finishRecording, interruptedRecording } from "../lib/recorder.js";
import { draftFor } from "../lib/work.js";
import { kick } from "../sync/engine.js";
import { Header, MediaState, localDate } from "./common.jsx";
import { useLive } from "./hooks.js";
import { loadVisit } from "./visitdata.js";

function useStorageLeft() {
  const [left, setLeft] = useState(null);
  useEffect(() => {
    if (navigator.storage && navigator.storage.estimate) {
      navigator.storage.estimate().then((e) => setLeft(e.quota - e.usage));
    }
  }, []);
  return left;
}

const mb = (bytes) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
const clock = (s) => `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;

export function Evidence({ id }) {
  const data = useLive(() => loadVisit(id), [id], null);
  const interrupted = useLive(() => interruptedRecording(), [], null);
  const recorder = useRef(null);
  const [recording, setRecording] = useState(null); // null | "recording" | "paused"
  const [seconds, setSeconds] = useState(0);
  const [error, setError] = useState(null);
  const left = useStorageLeft();
  if (!data || data.missing) return <Header title={t("证据")} back={`/visit/${id}`} />;
  const firstTask = data.visit.sections[0] && data.visit.sections[0].task_id;

  async function recordId() {
    return (await draftFor(id, firstTask)).id;
  }
  async function add(event) {
    const files = [...event.currentTarget.files];
    event.currentTarget.value = "";
    const rid = await recordId();
    for (const file of files) await captureFile(file, { visitId: id, recordId: rid });
    kick();
  }
  async function startRecording() {
    setError(null);
    if (left !== null && left < 50 * 1024 * 1024) {
      setError("手机存储空间不足 50 MB，请先上传或清理后再录音");
      return;
    }
    try {
      recorder.current = new Recorder({ visitId: id, recordId: await recordId(), onTick: setSeconds });
      await recorder.current.start();
      setRecording("recording");
    } catch (e) {
      setError(`无法开始录音：${e.message || e}`);
    }
  }
  async function stopRecording() {
    await recorder.current.stop();
    recorder.current = null;
    setRecording(null);
    setSeconds(0);
    kick();
  }
  return (
    <>
      <Header title={t("证据")} back={`/visit/${id}`} />
      <main class="evidence">
        {interrupted && !recording && (
          <section class="card warn" role="alert">
            <p>
              上次录音（{localDate(interrupted.started_at)} 开始）被中断，已保存 {interrupted.chunks} 段。
            </p>
            <button type="button" class="primary" id="recover-audio" onClick={() => finishRecording().then(() => kick())}>
              保存已录部分为证据
            </button>
          </section>
        )}
        <section class="card stack">
          <h2>全程录音</h2>
          {recording ? (
            <>
              <p class="timer" aria-live="polite">
                {recording === "recording" ? "● " : "❚❚ "}
                {clock(seconds)}
              </p>
              <div class="row">
                {recording === "recording" ? (
                  <button type="button" class="secondary big" onClick={() => (recorder.current.pause(), setRecording("paused"))}>
                    {t("暂停")}
                  </button>
                ) : (
                  <button type="button" class="secondary big" onClick={() => (recorder.current.resume(), setRecording("recording"))}>
                    {t("继续")}
                  </button>
                )}
                <button type="button" class="primary big" id="stop-audio" onClick={stopRecording}>
                  {t("停止并保存")}
                </button>
              </div>
            </>
          ) : (
            <button type="button" class="primary big" id="start-audio" onClick={startRecording}>
              {t("录音")}
            </button>
          )}
          {left !== null && <p class="hint">手机剩余可用空间约 {mb(left)}</p>}
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
        </section>
        <section class="card stack">
          <h2>照片、视频与文件</h2>
          <div class="row wrap">
            <label class="photo-button big">
              {t("拍照")}
              <input id="add-photo" type="file" accept="image/*" capture="environment" multiple onChange={add} />
            </label>
            <label class="photo-button big">
              {t("录像")}
              <input type="file" accept="video/*" capture="environment" onChange={add} />
            </label>
            <label class="photo-button big">
              {t("选择文件")}
              <input id="add-file" type="file" accept="application/pdf,image/*" multiple onChange={add} />
            </label>
          </div>
        </section>
        <ul class="media-list">
          {data.media.map((m) => (
            <li key={m.id} class="card media-row">
              {m.thumb ? <img src={m.thumb} alt="" /> : <span class="icon">{m.kind === "audio" ? "♪" : m.kind === "video" ? "▶" : "▤"}</span>}
              <div>
                <p>
                  {m.name || m.kind} · {mb(m.size)}
                </p>
                <p class="mono small">SHA-256 {m.sha256.slice(0, 16)}…</p>
                <p class="small">{localDate(m.captured_at)}</p>
              </div>
              <MediaState state={m.state} />
            </li>
          ))}
        </ul>
      </main>
    </>
  );
}
