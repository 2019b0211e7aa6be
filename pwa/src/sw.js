// The field app's service worker: precache the shell (hashed assets + index.html) and answer
// every navigation under /app/ with it, so the app opens with no network. API calls are never
// cached here (the app keeps its data in IndexedDB). Updates wait until the page says so.
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { getMeta } from "./lib/db.js";
import { DRAIN_LOCK, pull, pushAll } from "./sync/exchange.js";

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL("/app/index.html"), { allowlist: [/^\/app\//] }));

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// Background Sync (Chromium): the browser wakes this worker when the network is back, even with
// the app closed. An open page drains everything (uploads included), so it is asked and waited
// for; with no page open the worker pushes the outbox and pulls itself. A failed drain rejects,
// and the browser tries the sync again later.
self.addEventListener("sync", (event) => {
  if (event.tag !== "spotcheck-outbox") return;
  event.waitUntil(backgroundDrain());
});

const SETTLED = new Set(["done", "busy", "signed-out"]);

async function backgroundDrain() {
  const windows = await self.clients.matchAll({ type: "window" });
  if (windows.length) {
    const outcome = await askPage(windows[0]);
    if (!SETTLED.has(outcome)) throw new Error(`drain: ${outcome}`);
    return;
  }
  if (!(await getMeta("token"))) return; // signed out: nothing may be sent
  // Photos and audio wait for the app (tus needs XMLHttpRequest); the records and events go now.
  const work = async () => {
    await pushAll();
    await pull();
  };
  if (self.navigator.locks) {
    await self.navigator.locks.request(DRAIN_LOCK, { ifAvailable: true }, (lock) => lock && work());
  } else {
    await work();
  }
}

// The page answers on the channel with its drain's outcome (sync/engine.js drain()).
function askPage(client, timeout = 120_000) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve("timeout"), timeout);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data);
    };
    client.postMessage({ type: "drain" }, [channel.port2]);
  });
}
