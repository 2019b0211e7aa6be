import { t } from "../lib/i18n.js";
import { go } from "../lib/router.js";

export function Header({ title, back, right }) {
  return (
    <header class="bar">
      {back ? (
        <button class="bar-back" type="button" onClick={() => (back === true ? history.back() : go(back))} aria-label={t("返回")}>
          ‹
        </button>
      ) : (
        <span class="bar-space" />
      )}
      <h1>{title}</h1>
      {right || <span class="bar-space" />}
    </header>
  );
}

export function Badge({ kind = "", children }) {
  return <span class={`badge ${kind}`}>{children}</span>;
}

export const MEDIA_STATE = {
  local: ["待上传", "warn"],
  uploading: ["上传中", "warn"],
  verified: ["已上传", "ok"],
  failed: ["上传失败", "danger"],
};

export function MediaState({ state }) {
  const [label, kind] = MEDIA_STATE[state] || [state, ""];
  return <Badge kind={kind}>{t(label)}</Badge>;
}

export function localDate(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
}

export function today() {
  return new Date().toLocaleDateString("en-CA", { timeZone: "Asia/Shanghai" });
}
