import { useEffect, useState } from "preact/hooks";
import { db } from "../lib/db.js";
import { t } from "../lib/i18n.js";
import { go } from "../lib/router.js";
import { counts, drain, getStatus, onStatus } from "../sync/engine.js";
import { Data, Header, MediaState, localDate } from "./common.jsx";
import { useLive, useOnline } from "./hooks.js";

const TYPES = {
  "visit.start": "到达现场",
  "credential.shown": "出示证件",
  "notice.delivered": "送达告知书",
  "record.save_draft": "检查表草稿",
  "record.submit": "签名提交记录",
  "media.attach": "登记证据",
  "recusal.request": "回避申请",
};

const KINDS = { photo: "照片", audio: "录音文件", video: "录像文件", document: "文档" };

export function useSyncStatus() {
  const [status, setStatus] = useState(getStatus());
  useEffect(() => onStatus(setStatus), []);
  return status;
}

export function SyncPill() {
  const online = useOnline();
  const status = useSyncStatus();
  const c = useLive(() => counts(db), [], { outbox: 0, media: 0, rejected: 0, failed: 0 });
  const waiting = c.outbox + c.media;
  const problems = c.rejected + c.failed;
  return (
    <button type="button" class={`sync-pill ${online ? "" : "offline"} ${problems ? "danger" : ""}`} id="sync-pill" onClick={() => go("/sync")}>
      <span>{online ? t("在线") : t("离线")}</span>
      <span>{status.running ? t("同步中…") : waiting ? `${t("待发送")} ${waiting}` : t("已全部同步")}</span>
      {problems > 0 && <span>· {t("被拒绝")} {problems}</span>}
    </button>
  );
}

export function Sync() {
  const status = useSyncStatus();
  const online = useOnline();
  const outbox = useLive(() => db.outbox.orderBy("seq").toArray(), [], []);
  const media = useLive(() => db.media.where("state").anyOf("local", "uploading", "failed").toArray(), [], []);
  const pulledAt = useLive(() => db.meta.get("pulled_at"), [], null);
  const authRequired = useLive(() => db.meta.get("auth_required"), [], null);
  const pendingRows = outbox.filter((r) => r.state === "pending");
  const rejected = outbox.filter((r) => r.state === "rejected");
  return (
    <>
      <Header title={t("同步")} back="/visits" />
      <main class="sync">
        <section class="card">
          <p>
            {online ? t("在线") : t("离线")} · {t("上次同步：{when}", { when: pulledAt ? localDate(pulledAt.value) : "—" })}
          </p>
          {authRequired && authRequired.value && (
            <p class="error" role="alert">
              {t("登录已失效，请重新登录（本机数据不会丢失）。")} <a href="#/login">{t("登录")}</a>
            </p>
          )}
          {status.lastError && (
            <p class="error" role="alert">
              {t("上次同步失败：{reason}", { reason: t(status.lastError.message, status.lastError.params) })}
              {status.next ? t("（{seconds} 秒后自动重试）", { seconds: Math.max(0, Math.round((status.next - Date.now()) / 1000)) }) : ""}
            </p>
          )}
          <button type="button" class="primary big" id="retry-now" disabled={status.running} onClick={() => drain()}>
            {status.running ? t("同步中…") : t("重试")}
          </button>
        </section>
        <section class="card">
          <h2>
            {t("{label}（{count}）", { label: t("待发送"), count: pendingRows.length })}
          </h2>
          <ul class="plain">
            {pendingRows.map((r) => (
              <li key={r.seq}>
                #{r.seq} {TYPES[r.type] ? t(TYPES[r.type]) : r.type} · {localDate(r.created_at)}
              </li>
            ))}
          </ul>
        </section>
        <section class="card">
          <h2>{t("{label}（{count}）", { label: t("文件"), count: media.length })}</h2>
          <ul class="plain">
            {media.map((m) => (
              <li key={m.id}>
                {m.name ? <Data>{m.name}</Data> : t(KINDS[m.kind] || m.kind)} <MediaState state={m.state} />{" "}
                {m.error && <span class="danger-text">{t(m.error)}</span>}
              </li>
            ))}
          </ul>
        </section>
        {rejected.length > 0 && (
          <section class="card warn">
            <h2>
              {t("{label}（{count}）", { label: t("被拒绝"), count: rejected.length })}
            </h2>
            <ul class="plain">
              {rejected.map((r) => (
                <li key={r.seq}>
                  #{r.seq} {TYPES[r.type] ? t(TYPES[r.type]) : r.type}
                  {t("：")}
                  {/* The server's reason, as the server wrote it. */}
                  <Data>{(r.error && r.error.message) || (r.error && r.error.code)}</Data>
                  <button type="button" class="link" onClick={() => db.outbox.delete(r.seq)}>
                    {t("知道了")}
                  </button>
                </li>
              ))}
            </ul>
          </section>
        )}
      </main>
    </>
  );
}
