import { useEffect, useState } from "preact/hooks";
import { captureFile } from "../lib/capture.js";
import { t } from "../lib/i18n.js";
import { go } from "../lib/router.js";
import {
  clock,
  elapsedSeconds,
  interruptedRecording,
  pauseRecording,
  recording,
  recoverRecording,
  resumeRecording,
  startRecording,
  stopRecording,
} from "../lib/recorder.js";
import { draftFor } from "../lib/work.js";
import { kick } from "../sync/engine.js";
import { Header, MediaState, localDate } from "./common.jsx";
import { useLive, useSignal } from "./hooks.js";
import { latestDraft, loadVisit, myTasks } from "./visitdata.js";

const STORAGE_REFRESH_MS = 10000;
const LOW_STORAGE = 50 * 1024 * 1024;

// Space left on the phone, measured again every 10 s (a recording fills it while it runs).
function useStorageLeft() {
  const [left, setLeft] = useState(null);
  useEffect(() => {
    if (!(navigator.storage && navigator.storage.estimate)) return undefined;
    const measure = () => navigator.storage.estimate().then((e) => setLeft(e.quota - e.usage));
    measure();
    const timer = setInterval(measure, STORAGE_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  return left;
}

// The app-wide recording, re-rendered every half second while it runs (for its clock).
export function useRecording() {
  const rec = useSignal(recording);
  const [, setNow] = useState(0);
  const running = Boolean(rec && rec.state === "recording");
  useEffect(() => {
    if (!running) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [running]);
  return rec;
}

const mb = (bytes) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;

export function Evidence({ id }) {
  const data = useLive(() => loadVisit(id), [id], null);
  const rec = useRecording();
  const interrupted = useLive(() => (rec ? null : interruptedRecording()), [rec && rec.id], null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const left = useStorageLeft();
  if (!data || data.missing) return <Header title={t("证据")} back={`/visit/${id}`} />;
  // Evidence belongs to a section of this inspector's team (a merged visit carries others').
  const task = myTasks(data)[0];
  const latest = task && latestDraft(data, task.id);
  const signed = Boolean(latest && latest.state !== "draft");
  const here = rec && rec.visitId === id;
  const elsewhere = rec && !here;

  async function recordId() {
    return (await draftFor(id, task.id)).id;
  }
  async function add(event) {
    const files = [...event.currentTarget.files];
    event.currentTarget.value = "";
    const rid = await recordId();
    for (const file of files) await captureFile(file, { visitId: id, recordId: rid });
    kick();
  }
  async function run(action, failed = "录音操作失败：{error}") {
    setError(null);
    setBusy(true);
    try {
      await action();
    } catch (e) {
      setError(t(failed, { error: t(e.message || String(e)) }));
    } finally {
      setBusy(false);
    }
  }
  const start = () =>
    run(async () => {
      if (left !== null && left < LOW_STORAGE) throw new Error("手机存储空间不足 50 MB，请先上传或清理后再录音");
      await startRecording({ visitId: id, recordId: await recordId() });
    }, "无法开始录音：{error}");
  const stop = () => run(() => stopRecording().then(() => kick()));
  const recover = (resume) => run(() => recoverRecording({ resume }).then(() => kick()), resume ? "无法开始录音：{error}" : undefined);

  return (
    <>
      <Header title={t("证据")} back={`/visit/${id}`} />
      <main class="evidence">
        {!task && <p class="card warn">{t("您不在本检查任何任务的检查组中，不能添加证据。")}</p>}
        {signed && <p class="card warn">{t("本检查记录已签名提交；如需补充证据，请先在检查表中更正（生成新版本）。")}</p>}
        {interrupted && !rec && (
          <section class="card warn stack" role="alert">
            <p>
              {t("上次录音（{start} 开始）被中断，已保存 {chunks} 段，约 {time}。", {
                start: localDate(interrupted.started_at),
                chunks: interrupted.chunks,
                time: clock(Math.round(interrupted.ms / 1000)),
              })}
            </p>
            <button type="button" class="primary big" id="recover-continue" disabled={busy || signed} onClick={() => recover(true)}>
              {t("保存已录部分并继续录音")}
            </button>
            <button type="button" class="secondary big" id="recover-audio" disabled={busy} onClick={() => recover(false)}>
              {t("保存已录部分为证据")}
            </button>
          </section>
        )}
        <section class="card stack">
          <h2>{t("全程录音")}</h2>
          <p class="hint">{t("录音在切换到告知书、检查表等页面时继续，签字确认时自动停止并保存。")}</p>
          {here ? (
            <>
              <p class="timer" id="audio-timer" aria-live="polite">
                {rec.state === "recording" ? "● " : "❚❚ "}
                {clock(elapsedSeconds(rec))}
              </p>
              {rec.error && (
                <p class="error" role="alert">
                  {t("录音保存失败：{error}", { error: rec.error })}
                </p>
              )}
              <div class="row">
                {rec.state === "recording" ? (
                  <button type="button" class="secondary big" id="pause-audio" onClick={pauseRecording}>
                    {t("暂停")}
                  </button>
                ) : (
                  <button type="button" class="secondary big" id="resume-audio" disabled={rec.state !== "paused"} onClick={resumeRecording}>
                    {t("继续")}
                  </button>
                )}
                <button type="button" class="primary big" id="stop-audio" disabled={busy || rec.state === "stopping"} onClick={stop}>
                  {t("停止并保存")}
                </button>
              </div>
            </>
          ) : elsewhere ? (
            <button type="button" class="secondary big" onClick={() => go(`/visit/${rec.visitId}/evidence`)}>
              {t("正在为另一检查录音，点此查看")}
            </button>
          ) : (
            <button type="button" class="primary big" id="start-audio" disabled={busy || !task || signed} onClick={start}>
              {t("录音")}
            </button>
          )}
          {left !== null && (
            <p class={left < LOW_STORAGE ? "error" : "hint"} id="storage-left">
              {t("手机剩余可用空间约 {size}", { size: mb(left) })}
            </p>
          )}
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
        </section>
        <section class="card stack">
          <h2>{t("照片、视频与文件")}</h2>
          {task && !signed && (
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
          )}
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
