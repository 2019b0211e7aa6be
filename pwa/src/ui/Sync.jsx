import { useEffect, useState } from "preact/hooks";
import { db } from "../lib/db.js";
import { t } from "../lib/i18n.js";
import { go } from "../lib/router.js";
import { counts, drain, getStatus, onStatus } from "../sync/engine.js";
import { Header, MediaState, localDate } from "./common.jsx";
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
      <span>{status.running ? "同步中…" : waiting ? `${t("待发送")} ${waiting}` : "已全部同步"}</span>
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
            {online ? t("在线") : t("离线")} · 上次同步：{pulledAt ? localDate(pulledAt.value) : "—"}
          </p>
          {authRequired && authRequired.value && (
            <p class="error" role="alert">
              登录已失效，请重新登录（本机数据不会丢失）。 <a href="#/login">{t("登录")}</a>
            </p>
          )}
          {status.lastError && (
            <p class="error" role="alert">
              上次同步失败：{status.lastError.message}
              {status.next ? `（${Math.max(0, Math.round((status.next - Date.now()) / 1000))} 秒后自动重试）` : ""}
            </p>
          )}
          <button type="button" class="primary big" id="retry-now" disabled={status.running} onClick={() => drain()}>
            {status.running ? "同步中…" : t("重试")}
          </button>
        </section>
        <section class="card">
          <h2>
            {t("待发送")}（{pendingRows.length}）
          </h2>
          <ul class="plain">
            {pendingRows.map((r) => (
              <li key={r.seq}>
                #{r.seq} {TYPES[r.type] || r.type} · {localDate(r.created_at)}
              </li>
            ))}
          </ul>
        </section>
        <section class="card">
          <h2>文件（{media.length}）</h2>
          <ul class="plain">
            {media.map((m) => (
              <li key={m.id}>
                {m.name || m.kind} <MediaState state={m.state} /> {m.error && <span class="danger-text">{m.error}</span>}
              </li>
            ))}
          </ul>
        </section>
        {rejected.length > 0 && (
          <section class="card warn">
            <h2>
              {t("被拒绝")}（{rejected.length}）
            </h2>
            <ul class="plain">
              {rejected.map((r) => (
                <li key={r.seq}>
                  #{r.seq} {TYPES[r.type] || r.type}：{(r.error && r.error.message) || r.error.code}
                  <button type="button" class="link" onClick={() => db.outbox.delete(r.seq)}>
                    知道了
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
