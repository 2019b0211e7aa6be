import { formatDateTime, t } from "../lib/i18n.js";
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

// Text that comes from the server as it is (a business's name, an address, an item's wording,
// a colleague's name): never translated, and marked so (the English-screen test skips it).
export function Data({ children, class: cls }) {
  return (
    <span data-value="" class={cls}>
      {children}
    </span>
  );
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
  return formatDateTime(iso);
}

// The calendar day in Beijing of a moment (now by default), as 2026-11-27.
export function beijingDay(iso) {
  const when = iso ? new Date(iso) : new Date();
  return when.toLocaleDateString("en-CA", { timeZone: "Asia/Shanghai" });
}

export function today() {
  return beijingDay();
}
