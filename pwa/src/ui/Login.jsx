import { useState } from "preact/hooks";
import { errorText, signIn } from "../lib/account.js";
import { lang, t } from "../lib/i18n.js";
import { go } from "../lib/router.js";
import { kick } from "../sync/engine.js";
import { useSignal } from "./hooks.js";
import { InstallHint, LanguageSwitch } from "./Settings.jsx";

export function Login() {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const current = useSignal(lang);
  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await signIn(form.get("username").trim(), form.get("password"), form.get("device").trim());
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
      await kick(0);
      go("/visits");
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="login">
      <h1>{t("外勤检查")}</h1>
      <p class="hint">{t("首次使用需联网登录；登录后可离线工作。")}</p>
      <InstallHint />
      {/* Chosen before signing in too: the first screen is already in the inspector's language. */}
      <LanguageSwitch current={current} />
      <form onSubmit={submit} class="stack">
        <label>
          {t("用户名")}
          <input name="username" id="username" autocomplete="username" required autocapitalize="off" />
        </label>
        <label>
          {t("密码")}
          <input name="password" id="password" type="password" autocomplete="current-password" required />
        </label>
        <label>
          {t("设备名称")}
          <input name="device" id="device" placeholder={t("我的手机")} maxLength={60} />
        </label>
        {error && (
          <p class="error" role="alert">
            {t(error)}
          </p>
        )}
        <button class="primary big" type="submit" disabled={busy}>
          {busy ? t("正在登录…") : t("登录")}
        </button>
      </form>
    </main>
  );
}
