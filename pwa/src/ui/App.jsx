import { useEffect, useState } from "preact/hooks";
import { getMeta } from "../lib/db.js";
import { lang } from "../lib/i18n.js";
import { clock, elapsedSeconds, interruptedRecording } from "../lib/recorder.js";
import { go, match, route } from "../lib/router.js";
import { t } from "../lib/i18n.js";
import { attachPending } from "../lib/work.js";
import { Checklist } from "./Checklist.jsx";
import { Credential } from "./Credential.jsx";
import { Evidence, useRecording } from "./Evidence.jsx";
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
  // Files saved just before the app was killed, still waiting for their attach (GPS step).
  useEffect(() => {
    attachPending().catch((error) => console.error(error));
  }, []);
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
          {token && <RecordingIndicator />}
          {render(params)}
        </>
      );
    }
  }
  go("/visits");
  return null;
}

// Above every screen's header while a recording runs (or an interrupted one waits on the phone):
// its clock, and a tap back to the visit's evidence screen with the pause / stop controls.
function RecordingIndicator() {
  const rec = useRecording();
  const interrupted = useLive(() => (rec ? null : interruptedRecording()), [rec && rec.id], null);
  const shown = Boolean(rec || interrupted);
  useEffect(() => {
    // The screens' sticky header moves down below the indicator (app.css .recording-on).
    document.body.classList.toggle("recording-on", shown);
    return () => document.body.classList.remove("recording-on");
  }, [shown]);
  if (rec) {
    const label = rec.state === "paused" ? t("录音已暂停") : rec.state === "stopping" ? t("正在保存录音") : t("录音中");
    return (
      <button type="button" id="rec-indicator" class={`rec-indicator ${rec.state}`} onClick={() => go(`/visit/${rec.visitId}/evidence`)}>
        <span aria-hidden="true">{rec.state === "recording" ? "●" : "❚❚"}</span>
        <span>{label}</span>
        <span class="rec-clock">{clock(elapsedSeconds(rec))}</span>
        {rec.error && <span aria-label={t("录音保存失败：{error}", { error: rec.error })}>⚠</span>}
      </button>
    );
  }
  if (interrupted) {
    return (
      <button type="button" id="rec-indicator" class="rec-indicator interrupted" onClick={() => go(`/visit/${interrupted.visit_id}/evidence`)}>
        <span aria-hidden="true">⚠</span>
        <span>{t("录音被中断，点此保存")}</span>
      </button>
    );
  }
  return null;
}

// A new version never interrupts a visit: it is offered here, and applied when asked or when the
// phone is idle (lib/updates.js, wired in main.jsx).
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
