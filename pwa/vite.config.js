// The field app is served by the Flask server at /app/ (server/fieldapp); the service worker is
// our own (injectManifest): it precaches the shell and answers navigations offline, while the
// uploads stay in the page; Background Sync pushes and pulls from the worker too (src/sw.js).
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

export default defineConfig({
  base: "/app/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { target: "es2020", sourcemap: false, assetsInlineLimit: 0 },
  plugins: [
    VitePWA({
      strategies: "injectManifest",
      srcDir: "src",
      filename: "sw.js",
      registerType: "prompt",
      injectRegister: false,
      injectManifest: {
        globPatterns: ["**/*.{js,css,html,png,svg,webmanifest}"],
        rollupFormat: "iife",
      },
      manifest: {
        name: "SpotCheck 外勤 · 双随机检查",
        short_name: "外勤检查",
        description: "双随机、一公开现场检查：离线可用",
        lang: "zh-CN",
        start_url: "/app/",
        scope: "/app/",
        display: "standalone",
        background_color: "#ffffff",
        theme_color: "#0b5cad",
        icons: [
          { src: "icons/icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "icons/icon-512.png", sizes: "512x512", type: "image/png" },
          { src: "icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
        ],
      },
    }),
  ],
  test: {
    environment: "node",
    include: ["test/**/*.test.js"],
    // The phone's build of tus-js-client (the one the app bundles), not its Node build, which
    // reads Buffers and streams but not the Blobs the app hands it.
    alias: [{ find: /^tus-js-client$/, replacement: "tus-js-client/lib.esm/browser/index.js" }],
  },
});
