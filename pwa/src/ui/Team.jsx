import { t } from "../lib/i18n.js";
import { Badge, Data, Header, localDate } from "./common.jsx";
import { useLive } from "./hooks.js";
import { loadVisit } from "./visitdata.js";

const STATES = {
  draft: "草稿",
  awaiting_media: "等待证据上传",
  submitted: "已提交",
  returned: "已退回补正",
  approved: "已审核通过",
};

// The team lead's view: every record of the visit as the server holds it (synced by pull).
export function Team({ id }) {
  const data = useLive(() => loadVisit(id), [id], null);
  if (!data || data.missing) return <Header title={t("组员记录")} back={`/visit/${id}`} />;
  const taskName = (taskId) => {
    const task = data.tasks.find((x) => x.id === taskId);
    return task ? task.number || task.name : "";
  };
  return (
    <>
      <Header title={t("组员记录")} back={`/visit/${id}`} />
      <main>
        {data.records.length === 0 && <p class="empty">{t("服务器上还没有本检查的记录（同步后显示）。")}</p>}
        {data.records.map((r) => (
          <section class="card" key={r.id}>
            <h2>
              <Data>{taskName(r.task_id)}</Data> · {t("第 {version} 版", { version: r.version })}{" "}
              <Badge kind={r.state === "returned" ? "danger" : ["submitted", "approved"].includes(r.state) ? "ok" : "warn"}>
                {STATES[r.state] ? t(STATES[r.state]) : r.state}
              </Badge>
            </h2>
            <p>
              <Data>{r.author}</Data> · {localDate(r.submitted_at || r.updated_at)}
            </p>
            {r.record && r.record.findings && <p>{t("小结：{findings}", { findings: <Data>{r.record.findings}</Data> })}</p>}
            {r.record_hash && <p class="mono small">SHA-256 {r.record_hash}</p>}
            {data.comments
              .filter((c) => c.record_id === r.id)
              .map((c) => (
                <p class="warn-text" key={c.id}>
                  <Data>{c.author}</Data>
                  {t("：")}
                  <Data>{c.body}</Data>
                </p>
              ))}
          </section>
        ))}
        <p class="hint">{t("同步后更新。")}</p>
      </main>
    </>
  );
}
