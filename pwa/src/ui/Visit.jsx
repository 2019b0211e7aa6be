import { formatDay, t } from "../lib/i18n.js";
import { go } from "../lib/router.js";
import { startVisit } from "../lib/work.js";
import { Badge, Data, Header, localDate } from "./common.jsx";
import { TeamNames, mapLink } from "./Visits.jsx";
import { useLive } from "./hooks.js";
import { hasEvent, latestDraft, loadVisit, missingFor, myTasks } from "./visitdata.js";

export function Visit({ id }) {
  const data = useLive(() => loadVisit(id), [id], null);
  if (!data) return <Header title="…" back="/visits" />;
  if (data.missing) {
    return (
      <>
        <Header title={t("我的检查")} back="/visits" />
        <p class="empty">{t("该检查已不在您的任务中（可能已调整检查组）。本机未上传的内容仍会继续上传。")}</p>
      </>
    );
  }
  const { visit, subject } = data;
  const started = data.events.find((e) => e.kind === "visit.start");
  const step = (done, label, path, extra) => (
    <li class={done ? "step done" : "step"}>
      <button type="button" class="step-button" onClick={() => go(path)}>
        <span class="tick" aria-hidden="true">{done ? "✓" : "○"}</span>
        <span>{label}</span>
        {extra}
      </button>
    </li>
  );
  // Checklists and signatures only for the sections of this inspector's team (a merged visit
  // also carries other teams' tasks, which they fill in and sign on their own phones).
  const mine = myTasks(data);
  const allSubmitted = mine.every((task) => {
    const d = latestDraft(data, task.id);
    return d && d.state === "submitted";
  });
  return (
    <>
      <Header title={<Data>{subject.name}</Data>} back="/visits" />
      <main class="visit-detail">
        <section class="card">
          <p class="mono">{visit.uscc}</p>
          <p class="addr">
            <a href={mapLink(subject.address)}>
              <Data>{subject.address}</Data>
            </a>
          </p>
          {subject.legal_rep && <p>{t("法定代表人：{name}", { name: <Data>{subject.legal_rep}</Data> })}</p>}
          {subject.contact_phone && (
            <p>
              {t("联系电话：{phone}", { phone: <a href={`tel:${subject.contact_phone}`}>{subject.contact_phone}</a> })}
            </p>
          )}
          <p>
            {t("检查时间：{start} 至 {end}", { start: formatDay(visit.window_start), end: formatDay(visit.window_end) })}
          </p>
          {data.tasks.map((task) => {
            const section = visit.sections.find((s) => s.task_id === task.id);
            return (
              <div key={task.id} class="section-info">
                <p>
                  <strong>
                    <Data>{task.number}</Data>
                  </strong>{" "}
                  <Data>{task.name}</Data>
                </p>
                <p class="muted">
                  {t("{label}：", { label: t("检查组") })}
                  <TeamNames team={section.team} />
                </p>
              </div>
            );
          })}
        </section>
        {data.comments.length > 0 && (
          <section class="card warn" aria-label={t("审核意见")}>
            <h2>{t("审核意见")}</h2>
            {data.comments.map((c) => (
              <p key={c.id}>
                {t("{author}（{when}）：{body}", {
                  author: (
                    <strong>
                      <Data>{c.author}</Data>
                    </strong>
                  ),
                  when: localDate(c.created_at),
                  body: <Data>{c.body}</Data>,
                })}
              </p>
            ))}
            <p class="hint">{t("请更正后重新签名提交（原记录保留）。")}</p>
          </section>
        )}
        <ol class="steps">
          <li class={started ? "step done" : "step"}>
            <button
              type="button"
              class="step-button"
              id="start-visit"
              disabled={Boolean(started)}
              onClick={() => startVisit(visit.id)}
            >
              <span class="tick" aria-hidden="true">{started ? "✓" : "○"}</span>
              <span>{started ? `${t("已到达")} ${localDate(started.at)}` : t("到达现场")}</span>
            </button>
          </li>
          {step(hasEvent(data, "credential.shown"), t("出示证件"), `/visit/${visit.id}/credential`)}
          {step(hasEvent(data, "notice.delivered"), t("送达告知书"), `/visit/${visit.id}/notice`)}
          {mine.map((task) => {
            const draft = latestDraft(data, task.id);
            const missing = missingFor(data, task, draft);
            const label =
              mine.length > 1 ? (
                <>
                  {t("检查表")} · <Data>{task.number || task.name}</Data>
                </>
              ) : (
                t("检查表")
              );
            return (
              <span key={task.id}>
                {step(
                  draft && !missing.length,
                  label,
                  `/visit/${visit.id}/checklist/${task.id}`,
                  draft && draft.state === "submitted" ? <Badge kind="ok">{t("已提交")}</Badge> : missing.length ? <Badge kind="warn">{missing.length}</Badge> : null,
                )}
              </span>
            );
          })}
          {step(data.media.length > 0, t("{label}（{count}）", { label: t("证据"), count: data.media.length }), `/visit/${visit.id}/evidence`)}
          {step(allSubmitted, t("签字确认"), `/visit/${visit.id}/signoff`)}
        </ol>
        <section class="actions">
          {visit.i_am_lead && (
            <button type="button" class="secondary" onClick={() => go(`/visit/${visit.id}/team`)}>
              {t("组员记录")}
            </button>
          )}
          <button type="button" class="secondary" onClick={() => go(`/visit/${visit.id}/recusal`)}>
            {t("申请回避")}
          </button>
        </section>
      </main>
    </>
  );
}
