// The field app's service worker: precache the shell (hashed assets + index.html) and answer
// every navigation under /app/ with it, so the app opens with no network. API calls are never
// cached here (the app keeps its data in IndexedDB). Updates wait until the page says so.
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL("/app/index.html"), { allowlist: [/^\/app\//] }));

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// Background Sync (Chromium): wake an open page to drain its outbox.
self.addEventListener("sync", (event) => {
  if (event.tag !== "spotcheck-outbox") return;
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((clients) => {
      for (const client of clients) client.postMessage({ type: "drain" });
    }),
  );
});
