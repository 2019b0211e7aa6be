import { useState } from "preact/hooks";
import { t } from "../lib/i18n.js";
import { finishVisitRecording, interruptedRecording, recording } from "../lib/recorder.js";
import { go } from "../lib/router.js";
import { buildRecord, draftFor, flushDraft, submitRecord, validResidentId } from "../lib/work.js";
import { kick } from "../sync/engine.js";
import { Badge, Header } from "./common.jsx";
import { useLive, useSignal } from "./hooks.js";
import { SignaturePad } from "./SignaturePad.jsx";
import { latestDraft, loadVisit, missingFor, myTasks } from "./visitdata.js";

const ANSWER = { yes: "是", no: "否", na: "不适用" };

// The files a frozen record lists: a file added after the freeze would not be in what is signed.
const mediaIds = (media) => new Set(media.filter((m) => !m.removed).map((m) => m.id));

// The sections this phone signs and what still blocks them.
export function signingState(data) {
  const open = myTasks(data).map((task) => ({ task, draft: latestDraft(data, task.id) }));
  const toSign = open.filter((s) => !s.draft || s.draft.state === "draft");
  const blockers = []; // [text, where to fix it]
  for (const { task, draft } of toSign) {
    const missing = missingFor(data, task, draft);
    const photos = missing.filter((q) => q.answer_type === "photo_required");
    const where = `/visit/${data.visit.id}/checklist/${task.id}`;
    const name = task.number || task.name;
    if (photos.length) {
      blockers.push([t("{task}：缺少必拍照片：{questions}", { task: name, questions: photos.map((q) => q.text).join("；") }), where]);
    }
    if (missing.length > photos.length) {
      blockers.push([t("{task}：{n} 项必填未回答", { task: name, n: missing.length - photos.length }), where]);
    }
  }
  if (!data.events.some((e) => e.kind === "notice.delivered")) blockers.push([t("尚未送达告知书"), `/visit/${data.visit.id}/notice`]);
  return { open, toSign, blockers };
}

export function SignOff({ id }) {
  const data = useLive(() => loadVisit(id), [id], null);
  const rec = useSignal(recording);
  const interrupted = useLive(() => (rec ? null : interruptedRecording()), [rec && rec.id], null);
  const [mode, setMode] = useState("sign");
  const [form, setForm] = useState({ signer: "", refusal: "", wname: "", wid: "", wcontact: "", reason: "" });
  const [frozen, setFrozen] = useState(null); // { sections: [{draft, record, hash}], media }
  const [party, setParty] = useState(null);
  const [witness, setWitness] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  if (!data || data.missing) return <Header title={t("签字确认")} back={`/visit/${id}`} />;

  const { open, toSign, blockers } = signingState(data);
  const others = data.tasks.filter((task) => !open.some((s) => s.task.id === task.id));
  const audioOpen = (rec && rec.visitId === id) || (interrupted && interrupted.visit_id === id);
  // Evidence added (or a recording saved) since the freeze: the summary must be made again.
  const stale = frozen && [...mediaIds(data.media)].some((m) => !frozen.media.has(m));
  const correcting = toSign.some((s) => s.draft && s.draft.supersedes_id);
  const set = (key) => (e) => {
    setForm({ ...form, [key]: e.currentTarget.value });
    setFrozen(null); // the summary changed: what was signed no longer matches
    setParty(null);
    setWitness(null);
  };

  async function freeze() {
    setError(null);
    if (mode === "sign" && !form.signer.trim()) return setError(t("请填写签字人姓名"));
    if (mode === "refuse") {
      if (!form.refusal.trim()) return setError(t("请填写拒签情况说明"));
      if (!form.wname.trim()) return setError(t("请填写见证人姓名"));
      if (!validResidentId(form.wid)) return setError(t("见证人身份证号有误（校验位不符）"));
      if (!form.wcontact.trim()) return setError(t("请填写见证人联系方式"));
    }
    if (correcting && !form.reason.trim()) return setError(t("请填写更正原因"));
    setBusy(true);
    try {
      setFrozen(await build());
    } catch (e) {
      setError(e.message || String(e));
    } finally {
      setBusy(false);
    }
  }

  // The records to sign, from the phone's data as it is now (not as last rendered).
  async function build() {
    try {
      // The visit's audio goes into what is signed: a running (or interrupted) recording is
      // stopped and saved first; a file attached after the signature would be refused.
      await finishVisitRecording(id);
    } catch (e) {
      throw new Error(t("录音未能保存，请到证据页处理：{error}", { error: t(e.message || String(e)) }));
    }
    const fresh = await loadVisit(id);
    const now = signingState(fresh);
    if (now.blockers.length) throw new Error(now.blockers.map(([text]) => text).join("；"));
    const sign =
      mode === "sign"
        ? { signer: form.signer.trim(), finished_at: new Date().toISOString() }
        : {
            refusal: form.refusal.trim(),
            witness: { name: form.wname.trim(), id_number: form.wid.trim().toUpperCase(), contact: form.wcontact.trim() },
            finished_at: new Date().toISOString(),
          };
    const media = fresh.media.filter((m) => m.visit_id === id);
    const sections = [];
    for (const { task } of now.toSign) {
      const draft = await draftFor(id, task.id);
      await flushDraft(draft.id);
      const built = await buildRecord({ visit: fresh.visit, subject: fresh.subject, task, draft, events: fresh.events, media, sign });
      sections.push({ draft, ...built });
    }
    return { sections, media: mediaIds(media) };
  }

  async function submit() {
    setError(null);
    if (mode === "sign" && !party) return setError(t("请当事人签名"));
    if (mode === "refuse" && !witness) return setError(t("请见证人签名"));
    setBusy(true);
    const signatures =
      mode === "sign"
        ? { party: { ...party, signer: form.signer.trim() } }
        : { refusal: { note: form.refusal.trim() }, witness: { ...witness, signer: form.wname.trim() } };
    for (const section of frozen.sections) {
      await submitRecord({ ...section, signatures, correctionReason: form.reason.trim() });
    }
    setBusy(false);
    kick();
    go(`/visit/${id}`);
  }

  return (
    <>
      <Header title={t("签字确认")} back={`/visit/${id}`} />
      <main class="signoff">
        {open.map(({ task, draft }) => (
          <section class="card" key={task.id}>
            <h2>
              {task.number} {task.name} {draft && draft.state !== "draft" && <Badge kind="ok">{t("已提交")}</Badge>}
            </h2>
            {draft ? <Summary data={data} task={task} draft={draft} /> : <p class="muted">{t("尚未填写检查表")}</p>}
          </section>
        ))}
        {others.length > 0 && (
          <p class="card muted" id="other-teams">
            {t("以下任务由其检查组签字，不在本机签名：{tasks}", { tasks: others.map((x) => x.number || x.name).join("、") })}
          </p>
        )}
        {open.length === 0 ? (
          <p class="card warn">{t("您不在本检查任何任务的检查组中。")}</p>
        ) : toSign.length === 0 ? (
          <p class="ok-text">{t("✓ 全部记录已签名提交。")}</p>
        ) : blockers.length ? (
          <section class="card warn" role="alert" id="signoff-blockers">
            <h2>{t("暂不能签字")}</h2>
            <ul class="plain">
              {blockers.map(([text, where]) => (
                <li key={text}>
                  <p>{text}</p>
                  <button type="button" class="secondary" onClick={() => go(where)}>
                    {t("去完成")}
                  </button>
                </li>
              ))}
            </ul>
          </section>
        ) : (
          <section class="card stack">
            {audioOpen && (
              <p class="hint" id="audio-will-stop">
                {t("全程录音将在生成确认内容时停止并保存，纳入签名的记录。")}
              </p>
            )}
            <div class="segmented" role="radiogroup">
              <button type="button" role="radio" aria-checked={mode === "sign"} class={mode === "sign" ? "on" : ""} onClick={() => (setMode("sign"), setFrozen(null))}>
                {t("当事人签名")}
              </button>
              <button type="button" role="radio" aria-checked={mode === "refuse"} class={mode === "refuse" ? "on" : ""} onClick={() => (setMode("refuse"), setFrozen(null))}>
                {t("当事人拒绝签字")}
              </button>
            </div>
            {mode === "sign" ? (
              <label>
                {t("签字人（法定代表人或授权人）姓名")}
                <input id="signer" value={form.signer} onInput={set("signer")} />
              </label>
            ) : (
              <>
                <label>
                  {t("拒签说明")}
                  <textarea id="refusal" rows={3} value={form.refusal} onInput={set("refusal")} />
                </label>
                <label>
                  {t("见证人")}
                  {t("姓名")}
                  <input id="witness-name" value={form.wname} onInput={set("wname")} />
                </label>
                <label>
                  {t("身份证号")}
                  <input id="witness-id" value={form.wid} onInput={set("wid")} maxLength={18} autocapitalize="characters" />
                </label>
                <label>
                  {t("联系方式")}
                  <input id="witness-contact" type="tel" value={form.wcontact} onInput={set("wcontact")} />
                </label>
              </>
            )}
            {correcting && (
              <label>
                {t("更正原因")}
                <textarea id="correction-reason" rows={2} value={form.reason} onInput={set("reason")} />
              </label>
            )}
            {!frozen || stale ? (
              <>
                {stale && <p class="warn-text">{t("证据有变化，请重新生成确认内容。")}</p>}
                <button type="button" class="primary big" id="freeze" disabled={busy} onClick={freeze}>
                  {busy && audioOpen ? t("正在保存录音…") : t("生成确认内容")}
                </button>
              </>
            ) : (
              <>
                <div class="consent" id="consent">
                  {mode === "sign"
                    ? t("本人已阅读上述检查记录，确认内容属实。本签名针对以下记录摘要（SHA-256）：")
                    : t("当事人拒绝签字。见证人确认检查人员已当场出示证件、送达告知书并进行检查，以下记录摘要（SHA-256）：")}
                  {frozen.sections.map((s) => (
                    <p class="mono hash" key={s.draft.id}>
                      {s.hash}
                    </p>
                  ))}
                </div>
                {mode === "sign" ? (
                  <SignaturePad id="party-pad" label={t("当事人签名")} onChange={setParty} />
                ) : (
                  <SignaturePad id="witness-pad" label={t("见证人签名")} onChange={setWitness} />
                )}
                <button type="button" class="primary big" id="submit-record" disabled={busy} onClick={submit}>
                  {t("确认提交")}
                </button>
              </>
            )}
            {error && (
              <p class="error" role="alert">
                {error}
              </p>
            )}
          </section>
        )}
      </main>
    </>
  );
}

function Summary({ data, task, draft }) {
  const checklist = task.checklist_id ? data.checklists[task.checklist_id] : null;
  const questions = checklist ? checklist.questions : [];
  return (
    <div class="summary">
      <ul>
        {questions.map((q) => (
          <li key={q.id}>
            {q.text}：
            <strong>
              {q.answer_type === "photo_required"
                ? t("照片 {n} 张", { n: data.media.filter((m) => m.question_id === q.id && m.record_id === draft.id).length })
                : ANSWER[draft.answers[q.id]]
                  ? t(ANSWER[draft.answers[q.id]])
                  : (draft.answers[q.id] ?? "—")}
            </strong>
          </li>
        ))}
      </ul>
      {draft.findings && <p>{t("小结：{text}", { text: draft.findings })}</p>}
      <p class="muted">{t("证据 {n} 件", { n: data.media.length })}</p>
      {draft.record_hash && <p class="mono small">SHA-256 {draft.record_hash}</p>}
    </div>
  );
}
