// Draining the outbox: push mutations in sequence order, upload media (tus, resumable), then pull
// what changed on the server. One tab drains at a time (Web Locks); failures back off
// exponentially with jitter; every trigger (a write, `online`, app open, Background Sync,
// the timer, "retry now") calls kick().
import { db as defaultDb, getMeta, setMeta } from "../lib/db.js";
import { ApiError } from "./api.js";
import { DRAIN_LOCK, pull, pushAll } from "./exchange.js";
import { uploadAll } from "./uploads.js";

// The service worker drains without a page too (sync/exchange.js, sync/uploads.js); the
// exchange is re-exported here for the page's code and its tests.
export { applyPull, pull, pushAll } from "./exchange.js";

const BASE_DELAY = 2000;
const MAX_DELAY = 5 * 60 * 1000;

export function backoff(failures, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY, BASE_DELAY * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2)); // "equal jitter"
}

// ---------------------------------------------------------------- status for the UI

const statusListeners = new Set();
let status = { running: false, lastError: null, lastSuccess: null, failures: 0, next: null };
export const getStatus = () => status;
export function onStatus(listener) {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}
function setStatus(patch) {
  status = { ...status, ...patch };
  for (const listener of statusListeners) listener(status);
}

// ---------------------------------------------------------------- drain

let timer = null;
const database = defaultDb;

async function withLock(work) {
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request(DRAIN_LOCK, { ifAvailable: true }, async (lock) =>
      lock ? work() : "busy",
    );
  }
  return work();
}

let again = false;

export async function drain() {
  const token = await getMeta("token", null, database);
  if (!token) return "signed-out";
  const outcome = await withLock(async () => {
    setStatus({ running: true });
    try {
      do {
        again = false;
        await pushAll({ database });
        await uploadAll({ database });
        await pull({ database });
        await pushAll({ database }); // anything written while we pulled
      } while (again); // a write arrived while this drain was past its last push
      setStatus({
        running: false,
        lastError: null,
        failures: 0,
        lastSuccess: new Date().toISOString(),
        next: null,
      });
      return "done";
    } catch (error) {
      const kind = error instanceof ApiError ? error.kind : "retry";
      if (kind === "auth") await setMeta("auth_required", true, database);
      const failures = status.failures + 1;
      const delay = kind === "auth" ? null : backoff(failures);
      setStatus({
        running: false,
        lastError: { kind, status: error.status || 0, ...describe(error) },
        failures,
        next: delay ? Date.now() + delay : null,
      });
      if (delay) schedule(delay);
      return kind;
    }
  });
  if (outcome === "busy") {
    // Another drain holds the lock: in this tab it will go round once more; another tab's
    // drain may not, so look again shortly.
    again = true;
    schedule(1500);
  }
  return outcome;
}

// What the inspector reads on the sync screen (the browser's own texts are English): a text
// of ours (a key of lib/i18n.js, translated when shown, so switching the language also changes
// a failure already on screen) with its parameters, or what the server said, as it said it.
export function describe(error) {
  const status = error && error.status;
  if (!status) return { message: "无法连接服务器（离线或网络不稳定），将自动重试" };
  if (status === 401) return { message: "登录已失效，请重新登录（本机数据不会丢失）" };
  if (status === 460) return { message: "文件校验不一致，将重新上传" };
  if (status >= 500 || status === 408 || status === 429) {
    return { message: "服务器暂时无法处理（{status}），将自动重试", params: { status } };
  }
  const said = error.body && (error.body.detail || error.body.message);
  if (said) return { message: said };
  return { message: String(error.message || error), params: error.params };
}

export function schedule(delay) {
  clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    drain();
  }, delay);
}

let kicking = null;
// Coalesce bursts of triggers (every keystroke of a draft writes) into one drain.
export function kick(delay = 300) {
  if (kicking) return kicking;
  kicking = new Promise((resolve) => {
    setTimeout(async () => {
      kicking = null;
      resolve(await drain());
    }, delay);
  });
  return kicking;
}

export async function counts(db = database) {
  const [outbox, rejected, media, failed] = await Promise.all([
    db.outbox.where("state").equals("pending").count(),
    db.outbox.where("state").equals("rejected").count(),
    db.media.where("state").anyOf("local", "uploading").count(),
    db.media.where("state").equals("failed").count(),
  ]);
  return { outbox, rejected, media, failed };
}
