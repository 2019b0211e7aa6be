// The field app's service worker: precache the shell (hashed assets + index.html) and answer
// every navigation under /app/ with it, so the app opens with no network. API calls are never
// cached here (the app keeps its data in IndexedDB). Updates wait until the page says so.
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { getMeta } from "./lib/db.js";
import { DRAIN_LOCK, pull, pushAll } from "./sync/exchange.js";
import { FetchHttpStack } from "./sync/fetchstack.js";
import { uploadAll } from "./sync/uploads.js";

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL("/app/index.html"), { allowlist: [/^\/app\//] }));

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// Background Sync (Chromium): the browser wakes this worker when the network is back, even with
// the app closed. An open page drains everything itself (uploads included; its own backoff timer
// retries), so it is only told to; with no page open the worker pushes the outbox, uploads the
// files and pulls. A failed drain here rejects, and the browser tries the sync again later. The
// worker never waits for a page: an event still running would hold back the activation of a
// new version.
self.addEventListener("sync", (event) => {
  if (event.tag !== "spotcheck-outbox") return;
  event.waitUntil(backgroundDrain());
});

async function backgroundDrain() {
  const windows = await self.clients.matchAll({ type: "window" });
  if (windows.length) {
    for (const client of windows) client.postMessage({ type: "drain" });
    return;
  }
  if (!(await getMeta("token"))) return; // signed out: nothing may be sent
  // The same order as the page's drain; uploads over fetch (no XMLHttpRequest here), resumed
  // where the page or an earlier sync left them — a long recording cut off by the browser's
  // time limit for the event goes on from the server's offset next time.
  const work = async () => {
    await pushAll();
    await uploadAll({ httpStack: new FetchHttpStack() });
    await pull();
  };
  if (self.navigator.locks) {
    await self.navigator.locks.request(DRAIN_LOCK, { ifAvailable: true }, (lock) => lock && work());
  } else {
    await work();
  }
}
