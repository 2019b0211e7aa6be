import { useEffect, useRef, useState } from "preact/hooks";
import { captureFile } from "../lib/capture.js";
import { db } from "../lib/db.js";
import { t } from "../lib/i18n.js";
import { draftFor, flushDraft, saveLocal, startCorrection } from "../lib/work.js";
import { kick } from "../sync/engine.js";
import { Badge, Data, Header, MediaState } from "./common.jsx";
import { useLive } from "./hooks.js";
import { loadVisit, missingFor, questionsOf } from "./visitdata.js";

const FLUSH_MS = 3000;

export function Checklist({ id, taskId }) {
  const data = useLive(() => loadVisit(id), [id], null);
  const [draftId, setDraftId] = useState(null);
  const draft = useLive(() => (draftId ? db.drafts.get(draftId) : null), [draftId], null);
  const timer = useRef(null);

  useEffect(() => {
    draftFor(id, taskId).then((row) => setDraftId(row.id));
  }, [id, taskId]);
  useEffect(() => {
    // Leaving the screen or the app: the last changes go to the outbox at once.
    const flush = () => draftId && flushDraft(draftId).then(() => kick());
    const hidden = () => document.visibilityState === "hidden" && flush();
    document.addEventListener("visibilitychange", hidden);
    return () => {
      document.removeEventListener("visibilitychange", hidden);
      clearTimeout(timer.current);
      flush();
    };
  }, [draftId]);

  if (!data || data.missing || !draft) return <Header title={t("检查表")} back={`/visit/${id}`} />;
  const task = data.tasks.find((x) => x.id === taskId);
  if (!task) return <Header title={t("检查表")} back={`/visit/${id}`} />;
  const locked = draft.state !== "draft";

  async function change(patch) {
    if (locked) return;
    await saveLocal(draft.id, patch); // every change is on the phone at once
    clearTimeout(timer.current);
    timer.current = setTimeout(() => flushDraft(draft.id).then(() => kick()), FLUSH_MS);
  }
  const answer = (q, value) => change({ answers: { [q.id]: value } });
  const note = (key, value) => change({ notes: { [key]: value } });
  const questions = questionsOf(data, task);
  const itemList = (task.item_ids || []).map((iid) => data.items[iid]).filter(Boolean);
  const general = questions.filter((q) => !q.item_code || !itemList.some((i) => i.code === q.item_code));
  const missing = missingFor(data, task, draft);
  const sectionMedia = data.media.filter((m) => m.record_id === draft.id);

  const renderQuestion = (q) => (
    <Question
      key={q.id}
      q={q}
      value={draft.answers[q.id]}
      note={draft.notes[q.id] || ""}
      onAnswer={(v) => answer(q, v)}
      onNote={(v) => note(q.id, v)}
      media={sectionMedia.filter((m) => m.question_id === q.id)}
      onPhoto={(file) => captureFile(file, { visitId: id, recordId: draft.id, questionId: q.id }).then(() => kick())}
      locked={locked}
      missing={missing.includes(q)}
    />
  );

  return (
    <>
      <Header
        title={
          <>
            {t("检查表")} · <Data>{task.number || task.name}</Data>
          </>
        }
        back={`/visit/${id}`}
      />
      <main class="checklist">
        {locked && (
          <section class="card">
            <p>
              <Badge kind="ok">{t("已提交")}</Badge> {t("第 {version} 版已签名，不能再修改。", { version: draft.version || 1 })}
            </p>
            <button type="button" class="secondary" onClick={() => startCorrection(id, taskId).then((row) => setDraftId(row.id))}>
              {t("更正（生成新版本）")}
            </button>
          </section>
        )}
        {itemList.map((item, n) => (
          <section class="card item" key={item.id}>
            <h2>
              {n + 1}. <Data>{item.name}</Data>
            </h2>
            <p class="muted">
              <Data>{item.content}</Data>
            </p>
            {questions.filter((q) => q.item_code === item.code).map(renderQuestion)}
            <label>
              {t("检查发现（{code}）", { code: item.code })}
              <textarea
                rows={2}
                value={draft.notes[`item:${item.id}`] || ""}
                disabled={locked}
                onInput={(e) => note(`item:${item.id}`, e.currentTarget.value)}
              />
            </label>
          </section>
        ))}
        {general.length > 0 && <section class="card item">{general.map(renderQuestion)}</section>}
        <section class="card">
          <label>
            {t("检查情况小结")}
            <textarea
              id="findings"
              rows={3}
              value={draft.findings || ""}
              disabled={locked}
              onInput={(e) => change({ findings: e.currentTarget.value })}
            />
          </label>
          <p class="hint" aria-live="polite">
            {missing.length ? t("还有 {count} 项必填未完成", { count: missing.length }) : t("必填项已完成")} · {t("已自动保存在本机")}
          </p>
        </section>
      </main>
    </>
  );
}

function Question({ q, value, note, onAnswer, onNote, media, onPhoto, locked, missing }) {
  const choice = (v, label) => (
    <button
      type="button"
      class={value === v ? "choice on" : "choice"}
      aria-pressed={value === v}
      disabled={locked}
      onClick={() => onAnswer(v)}
    >
      {t(label)}
    </button>
  );
  return (
    <div class={missing ? "question missing" : "question"} data-question={q.id}>
      <p class="q-text">
        <Data>{q.text}</Data> {q.required && <Badge kind="warn">{t("必填")}</Badge>}
        {q.answer_type === "photo_required" && <Badge kind="warn">{t("必须拍照")}</Badge>}
      </p>
      {q.help && (
        <p class="hint">
          <Data>{q.help}</Data>
        </p>
      )}
      {q.answer_type === "yes_no_na" && (
        <div class="choices">
          {choice("yes", "是")}
          {choice("no", "否")}
          {choice("na", "不适用")}
        </div>
      )}
      {q.answer_type === "text" && (
        <textarea rows={2} value={value || ""} disabled={locked} onInput={(e) => onAnswer(e.currentTarget.value)} />
      )}
      {q.answer_type === "number" && (
        <input type="number" inputMode="decimal" value={value ?? ""} disabled={locked} onInput={(e) => onAnswer(e.currentTarget.value === "" ? "" : Number(e.currentTarget.value))} />
      )}
      {q.answer_type === "date" && <input type="date" value={value || ""} disabled={locked} onInput={(e) => onAnswer(e.currentTarget.value)} />}
      <div class="thumbs">
        {media.map((m) => (
          <figure key={m.id}>
            {m.thumb ? <img src={m.thumb} alt={t("照片")} /> : <span aria-hidden="true">▤</span>}
            <MediaState state={m.state} />
          </figure>
        ))}
        {!locked && (
          <label class="photo-button">
            {t("拍照")}
            <input
              type="file"
              accept="image/*"
              capture="environment"
              onChange={(e) => {
                const file = e.currentTarget.files[0];
                e.currentTarget.value = "";
                if (file) onPhoto(file);
              }}
            />
          </label>
        )}
      </div>
      <details>
        <summary>{t("备注")}</summary>
        <textarea rows={2} value={note} disabled={locked} onInput={(e) => onNote(e.currentTarget.value)} />
      </details>
    </div>
  );
}
