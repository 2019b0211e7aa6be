import { useState } from "preact/hooks";
import { t } from "../lib/i18n.js";
import { go } from "../lib/router.js";
import { buildRecord, draftFor, flushDraft, submitRecord, validResidentId } from "../lib/work.js";
import { kick } from "../sync/engine.js";
import { Badge, Header } from "./common.jsx";
import { useLive } from "./hooks.js";
import { SignaturePad } from "./SignaturePad.jsx";
import { latestDraft, loadVisit, missingFor } from "./visitdata.js";

const ANSWER = { yes: "是", no: "否", na: "不适用" };

export function SignOff({ id }) {
  const data = useLive(() => loadVisit(id), [id], null);
  const [mode, setMode] = useState("sign");
  const [form, setForm] = useState({ signer: "", refusal: "", wname: "", wid: "", wcontact: "", reason: "" });
  const [frozen, setFrozen] = useState(null); // [{draft, record, hash}]
  const [party, setParty] = useState(null);
  const [witness, setWitness] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  if (!data || data.missing) return <Header title={t("签字确认")} back={`/visit/${id}`} />;

  const open = data.tasks.map((task) => ({ task, draft: latestDraft(data, task.id) }));
  const toSign = open.filter((s) => !s.draft || s.draft.state === "draft");
  const blockers = [];
  for (const { task, draft } of toSign) {
    const missing = missingFor(data, task, draft);
    if (missing.length) blockers.push(`${task.number || task.name}：${missing.length} 项必填或必拍照片未完成`);
  }
  if (!data.events.some((e) => e.kind === "notice.delivered")) blockers.push("尚未送达告知书");
  const correcting = toSign.some((s) => s.draft && s.draft.supersedes_id);
  const set = (key) => (e) => {
    setForm({ ...form, [key]: e.currentTarget.value });
    setFrozen(null); // the summary changed: what was signed no longer matches
    setParty(null);
    setWitness(null);
  };

  async function freeze() {
    setError(null);
    if (mode === "sign" && !form.signer.trim()) return setError("请填写签字人姓名");
    if (mode === "refuse") {
      if (!form.refusal.trim()) return setError("请填写拒签情况说明");
      if (!form.wname.trim()) return setError("请填写见证人姓名");
      if (!validResidentId(form.wid)) return setError("见证人身份证号有误（校验位不符）");
      if (!form.wcontact.trim()) return setError("请填写见证人联系方式");
    }
    if (correcting && !form.reason.trim()) return setError("请填写更正原因");
    const sign =
      mode === "sign"
        ? { signer: form.signer.trim(), finished_at: new Date().toISOString() }
        : {
            refusal: form.refusal.trim(),
            witness: { name: form.wname.trim(), id_number: form.wid.trim().toUpperCase(), contact: form.wcontact.trim() },
            finished_at: new Date().toISOString(),
          };
    const sections = [];
    for (const { task } of toSign) {
      const draft = await draftFor(id, task.id);
      await flushDraft(draft.id);
      const media = data.media.filter((m) => m.visit_id === id);
      const built = await buildRecord({ visit: data.visit, subject: data.subject, task, draft, events: data.events, media, sign });
      sections.push({ draft, ...built });
    }
    setFrozen(sections);
  }

  async function submit() {
    setError(null);
    if (mode === "sign" && !party) return setError("请当事人签名");
    if (mode === "refuse" && !witness) return setError("请见证人签名");
    setBusy(true);
    const signatures =
      mode === "sign"
        ? { party: { ...party, signer: form.signer.trim() } }
        : { refusal: { note: form.refusal.trim() }, witness: { ...witness, signer: form.wname.trim() } };
    for (const section of frozen) {
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
            {draft ? <Summary data={data} task={task} draft={draft} /> : <p class="muted">尚未填写检查表</p>}
          </section>
        ))}
        {toSign.length === 0 ? (
          <p class="ok-text">✓ 全部记录已签名提交。</p>
        ) : blockers.length ? (
          <section class="card warn" role="alert">
            <h2>暂不能签字</h2>
            <ul>
              {blockers.map((b) => (
                <li key={b}>{b}</li>
              ))}
            </ul>
          </section>
        ) : (
          <section class="card stack">
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
                签字人（法定代表人或授权人）姓名
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
                更正原因
                <textarea id="correction-reason" rows={2} value={form.reason} onInput={set("reason")} />
              </label>
            )}
            {!frozen ? (
              <button type="button" class="primary big" id="freeze" onClick={freeze}>
                生成确认内容
              </button>
            ) : (
              <>
                <div class="consent" id="consent">
                  {mode === "sign"
                    ? "本人已阅读上述检查记录，确认内容属实。本签名针对以下记录摘要（SHA-256）："
                    : "当事人拒绝签字。见证人确认检查人员已当场出示证件、送达告知书并进行检查，以下记录摘要（SHA-256）："}
                  {frozen.map((s) => (
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
                ? `照片 ${data.media.filter((m) => m.question_id === q.id && m.record_id === draft.id).length} 张`
                : ANSWER[draft.answers[q.id]] || (draft.answers[q.id] ?? "—")}
            </strong>
          </li>
        ))}
      </ul>
      {draft.findings && <p>小结：{draft.findings}</p>}
      <p class="muted">证据 {data.media.length} 件</p>
      {draft.record_hash && <p class="mono small">SHA-256 {draft.record_hash}</p>}
    </div>
  );
}
