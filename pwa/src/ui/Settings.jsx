import { useEffect, useState } from "preact/hooks";
import { signOut } from "../lib/account.js";
import { db, getMeta, setMeta } from "../lib/db.js";
import { lang, setLang, t } from "../lib/i18n.js";
import { go } from "../lib/router.js";
import { counts } from "../sync/engine.js";
import { Data, Header } from "./common.jsx";
import { useLive, useSignal } from "./hooks.js";

const isIos = () => /iPhone|iPad|iPod/.test(navigator.userAgent);
const standalone = () =>
  (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches) || navigator.standalone === true;

// Safari deletes a site's data after 7 days without use, unless it was added to the home screen
// first (and data is not carried over when adding later): say so before any work is done.
export function InstallHint() {
  if (!isIos() || standalone()) return null;
  return (
    <p class="card warn" role="note">
      {t("iPhone 请先在 Safari 中点“分享”→“添加到主屏幕”，再从主屏幕图标打开并登录。否则 Safari 可能在 7 天后清除本机未上传的检查记录。")}
    </p>
  );
}

// Each language is named in itself (an inspector who cannot read the other one still finds
// their own); the choice is kept on the phone and applies at once, without a reload.
export function LanguageSwitch({ current }) {
  return (
    <div class="segmented" role="radiogroup" aria-label={t("语言")}>
      <button type="button" role="radio" aria-checked={current === "zh"} class={current === "zh" ? "on" : ""} onClick={() => setLang("zh")} id="lang-zh" lang="zh-CN">
        中文
      </button>
      <button type="button" role="radio" aria-checked={current === "en"} class={current === "en" ? "on" : ""} onClick={() => setLang("en")} id="lang-en" lang="en">
        English
      </button>
    </div>
  );
}

export function Settings() {
  const current = useSignal(lang);
  const user = useLive(() => getMeta("user"), [], null);
  const downscale = useLive(() => getMeta("downscale_photos", false), [], false);
  const [persisted, setPersisted] = useState(null);
  useEffect(() => {
    if (navigator.storage && navigator.storage.persisted) navigator.storage.persisted().then(setPersisted);
  }, []);
  async function logout() {
    const c = await counts(db);
    if (c.outbox + c.media > 0 && !confirm(t("还有 {count} 项未上传。退出后这些内容仍保留在本机，重新登录后继续上传。确定退出？", { count: c.outbox + c.media }))) return;
    await signOut();
    go("/login");
  }
  return (
    <>
      <Header title={t("设置")} back="/visits" />
      <main class="settings stack">
        <section class="card">
          <p>{user ? <Data>{user.display_name || user.username}</Data> : ""}</p>
        </section>
        <section class="card stack">
          <h2>{t("语言")}</h2>
          <LanguageSwitch current={current} />
        </section>
        <section class="card stack">
          <label class="check">
            <input type="checkbox" checked={downscale} onChange={(e) => setMeta("downscale_photos", e.currentTarget.checked)} />
            {t("拍照后缩小照片（最长边 1920 像素；缩小后的照片即为证据）")}
          </label>
        </section>
        <section class="card">
          <p>{t("本机存储：{state}", { state: persisted === null ? "—" : persisted ? t("已设为持久保存") : t("未获持久保存授权（请添加到主屏幕）") })}</p>
          <InstallHint />
        </section>
        <button type="button" class="secondary big" onClick={logout}>
          {t("退出登录")}
        </button>
      </main>
    </>
  );
}
