import { render } from "preact";
import { Workbox } from "workbox-window";
import { setLang, lang } from "./lib/i18n.js";
import { route } from "./lib/router.js";
import { db } from "./lib/db.js";
import { flushDraft } from "./lib/work.js";
import { drain, kick } from "./sync/engine.js";
import { onEnqueue } from "./sync/outbox.js";
import { update } from "./main-update.js";
import { recording } from "./lib/recorder.js";
import { watchForIdle } from "./lib/updates.js";
import { App } from "./ui/App.jsx";
import "./app.css";

setLang(lang.value);
const root = document.getElementById("app");
root.textContent = ""; // the "opening…" placeholder shown before the script runs
render(<App />, root);

// Drafts changed just before the app was closed (or updated) and not yet in the outbox.
function flushDirtyDrafts() {
  return db.drafts
    .filter((d) => d.dirty && d.state === "draft")
    .toArray()
    .then((rows) => Promise.all(rows.map((row) => flushDraft(row.id))));
}
flushDirtyDrafts();

// Drain triggers: app open, every write, `online`, coming back to the app, Background Sync
// (Chromium), and a slow timer as the last resort.
kick(0);
onEnqueue(() => {
  kick();
  registerBackgroundSync();
});
window.addEventListener("online", () => kick(0));
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") kick(0);
});
setInterval(() => navigator.onLine && drain(), 60_000);

async function registerBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker.ready;
    if (registration.sync) await registration.sync.register("spotcheck-outbox");
  } catch {
    /* not supported (Safari, Firefox): the other triggers cover it */
  }
}

const SETTLE_MS = 1500;

if ("serviceWorker" in navigator) {
  const wb = new Workbox("/app/sw.js", { scope: "/app/" });
  // A new version is offered at once (the banner) and applied by itself only when the phone is
  // idle (lib/updates.js): on a quiet screen, in the background, after minutes untouched —
  // never while recording or under a signature. Every answer is already in IndexedDB, and a
  // draft not yet queued is queued when the new version opens (flushDirtyDrafts above).
  const idle = watchForIdle({
    pending: () => update.value,
    state: () => ({
      route: route.value,
      hidden: document.visibilityState === "hidden",
      recording: recording.value !== null,
    }),
  });
  // A screen just opened fetches its images through the running worker. Chromium swaps a
  // worker out by stopping it, and a request arriving in that moment starts it again; the swap
  // then waits for the worker's idle timeout (30 s, reset by every request). So the check waits
  // for the new screen to settle — and sees where the inspector is by then.
  route.subscribe(() => setTimeout(idle.check, SETTLE_MS));
  recording.subscribe(() => idle.check());
  wb.addEventListener("waiting", () => {
    let applying = false;
    update.value = () => {
      if (applying) return;
      applying = true;
      // The page's own event, not workbox-window's "controlling" (which follows the worker it
      // registered and may not be dispatched for one found later by an update check).
      navigator.serviceWorker.addEventListener("controllerchange", () => window.location.reload(), {
        once: true,
      });
      wb.messageSkipWaiting();
    };
    idle.check();
  });
  // Background Sync woke the service worker: the page drains (uploads need a page).
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "drain") kick(0);
  });
  wb.register();
}
