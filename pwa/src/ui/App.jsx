import { useState } from "preact/hooks";
import { getMeta } from "../lib/db.js";
import { lang } from "../lib/i18n.js";
import { go, match, route } from "../lib/router.js";
import { t } from "../lib/i18n.js";
import { Checklist } from "./Checklist.jsx";
import { Credential } from "./Credential.jsx";
import { Evidence } from "./Evidence.jsx";
import { useLive, useSignal } from "./hooks.js";
import { Login } from "./Login.jsx";
import { Notice } from "./Notice.jsx";
import { Recusal } from "./Recusal.jsx";
import { Settings } from "./Settings.jsx";
import { SignOff } from "./SignOff.jsx";
import { Sync } from "./Sync.jsx";
import { Team } from "./Team.jsx";
import { Visit } from "./Visit.jsx";
import { Visits } from "./Visits.jsx";
import { update } from "../main-update.js";

const ROUTES = [
  ["/login", () => <Login />],
  ["/visits", () => <Visits />],
  ["/sync", () => <Sync />],
  ["/settings", () => <Settings />],
  ["/visit/:id", (p) => <Visit id={p.id} />],
  ["/visit/:id/credential", (p) => <Credential id={p.id} />],
  ["/visit/:id/notice", (p) => <Notice id={p.id} />],
  ["/visit/:id/checklist/:task", (p) => <Checklist id={p.id} taskId={p.task} />],
  ["/visit/:id/evidence", (p) => <Evidence id={p.id} />],
  ["/visit/:id/signoff", (p) => <SignOff id={p.id} />],
  ["/visit/:id/recusal", (p) => <Recusal id={p.id} />],
  ["/visit/:id/team", (p) => <Team id={p.id} />],
];

export function App() {
  const path = useSignal(route);
  useSignal(lang); // re-render on language change
  const token = useLive(() => getMeta("token"), [], undefined);
  const waiting = useSignal(update);
  if (token === undefined) return null;
  if (!token && path !== "/login") {
    go("/login");
    return null;
  }
  for (const [pattern, render] of ROUTES) {
    const params = match(pattern, path);
    if (params) {
      return (
        <>
          {waiting && <UpdateBanner />}
          {render(params)}
        </>
      );
    }
  }
  go("/visits");
  return null;
}

// A new version never interrupts a visit: it is offered, and applied only when asked (or when
// the app is opened on the visit list with nothing being written).
function UpdateBanner() {
  const [hidden, setHidden] = useState(false);
  if (hidden) return null;
  return (
    <div class="update" role="status">
      <span>{t("有新版本")}</span>
      <button type="button" class="primary" id="apply-update" onClick={() => update.value && update.value()}>
        {t("立即更新")}
      </button>
      <button type="button" class="link" onClick={() => setHidden(true)}>
        {t("稍后")}
      </button>
    </div>
  );
}
