// When a waiting new version of the app may replace the running one by itself. Updates never
// interrupt a visit: the banner offers them at once, and they apply without asking only when
// the phone is idle — on a screen where nothing is being entered, when the app has gone to the
// background, or after a few minutes without a touch — and never while audio is recording or
// on the screens where a party or witness may be in the middle of signing.

export const IDLE_MS = 3 * 60 * 1000;

// Screens with nothing in progress: a reload there loses nothing and nobody notices.
const QUIET = new Set(["/login", "/visits", "/sync", "/settings"]);
// A signature being drawn lives in the pad until it is confirmed: never reload under it.
const SIGNING = /^\/visit\/[^/]+\/(notice|signoff)$/;

export function mayApplyNow({ route, hidden = false, idleFor = 0, recording = false }) {
  if (recording) return false;
  if (QUIET.has(route)) return true;
  if (SIGNING.test(route)) return false;
  // Elsewhere every answer is saved as it is typed: in the background or idle, a reload that
  // reopens the same screen costs the inspector nothing.
  return hidden || idleFor >= IDLE_MS;
}

// Watches the triggers and applies `pending()` (a function, or null) when mayApplyNow says so.
// `state()` returns {route, hidden, recording}; `now` is for tests.
export function watchForIdle({ pending, state, now = () => Date.now(), every = 30_000 }) {
  let lastTouch = now();
  const touched = () => {
    lastTouch = now();
  };
  const check = () => {
    const apply = pending();
    if (apply && mayApplyNow({ ...state(), idleFor: now() - lastTouch })) apply();
  };
  for (const type of ["pointerdown", "keydown", "input"]) {
    addEventListener(type, touched, { capture: true, passive: true });
  }
  document.addEventListener("visibilitychange", check);
  const timer = setInterval(check, every);
  return { check, stop: () => clearInterval(timer) };
}
