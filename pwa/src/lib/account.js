// Signing the phone in (once, online): make the device key, register it with the password,
// keep the bearer token. Signing out keeps every piece of unsent work on the phone.
import { db, getMeta, setMeta } from "./db.js";
import { makeDeviceKey } from "./devicekey.js";
import { t } from "./i18n.js";
import { ApiError, isDevice, request } from "../sync/api.js";

export async function signIn(username, password, deviceName) {
  let key = await getMeta("device_key");
  if (!key) {
    key = await makeDeviceKey();
    await setMeta("device_key", key);
  }
  const body = await request("/api/v1/auth/device", {
    method: "POST",
    json: {
      username,
      password,
      device_name: deviceName || defaultDeviceName(),
      device_public_key: key.publicJwk,
    },
    expect: isDevice,
  });
  const previousUser = await getMeta("user");
  await db.transaction("rw", db.meta, db.outbox, async () => {
    await setMeta("token", body.token);
    await setMeta("device_id", body.device_id);
    await setMeta("user", body.user);
    await setMeta("auth_required", false);
    // A new device id starts a new mutation sequence on the server.
    const oldDevice = await getMeta("registered_device");
    if (oldDevice !== body.device_id) {
      await setMeta("seq", await renumberBase());
      await setMeta("registered_device", body.device_id);
    }
    if (!previousUser || previousUser.id !== body.user.id) await setMeta("cursor", 0);
  });
  return body;
}

// Mutations still waiting were numbered for the old device; they are renumbered from 1.
async function renumberBase() {
  const rows = await db.outbox.orderBy("seq").toArray();
  await db.outbox.clear();
  let seq = 0;
  for (const row of rows) {
    if (row.state !== "pending") continue;
    seq += 1;
    await db.outbox.add({ ...row, seq });
  }
  return seq;
}

export function defaultDeviceName() {
  const ua = typeof navigator !== "undefined" ? navigator.userAgent : "";
  if (/iPhone|iPad/.test(ua)) return "iPhone";
  // Sent to the server as the device's name (the administrators' device list): in the language
  // the inspector uses.
  if (/Android/.test(ua)) return t("Android 手机");
  return t("浏览器");
}

export async function signOut() {
  const token = await getMeta("token");
  try {
    if (token) await request("/api/v1/auth/device", { method: "DELETE", token, expect: () => true });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
  }
  await setMeta("token", null);
}

export function errorText(error) {
  if (error instanceof ApiError) {
    if (error.body && (error.body.detail || error.body.message)) {
      return error.body.detail || error.body.message;
    }
    // A key of lib/i18n.js, translated where it is shown.
    if (error.kind === "retry") return "无法连接服务器，请检查网络后重试";
  }
  return String(error && error.message ? error.message : error);
}
