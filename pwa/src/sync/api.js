// The server's API as sync-v1.md describes it, with the status rules the phone relies on:
// only a 2xx with the expected JSON shape is success (a captive portal's 200 HTML page is not);
// 5xx, 408, 429 and network errors are retried; 409 re-reads state; 401 means sign in again
// (local work is kept); any other 4xx parks the item and shows it.

export class ApiError extends Error {
  constructor(kind, status, body, message) {
    super(message || `${kind} ${status}`);
    this.kind = kind; // "retry" | "conflict" | "auth" | "park"
    this.status = status;
    this.body = body;
  }
}

export function classify(status) {
  if (status === 0 || status >= 500 || status === 408 || status === 429) return "retry";
  if (status === 409) return "conflict";
  if (status === 401) return "auth";
  return "park";
}

export async function request(path, { method = "GET", token, json, expect, fetchImpl } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await (fetchImpl || fetch)(path, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError("retry", 0, null, String(error && error.message ? error.message : error));
  }
  if (response.status === 204) return {};
  const type = response.headers.get("Content-Type") || "";
  let body = null;
  if (type.includes("json")) {
    try {
      body = await response.json();
    } catch {
      body = null;
    }
  }
  if (response.ok && body !== null && (!expect || expect(body))) return body;
  if (response.ok) {
    // A 2xx without our JSON: a proxy or captive portal answered. Try again later.
    throw new ApiError("retry", response.status, null, "unexpected response");
  }
  const message = body && (body.message || (body.errors && JSON.stringify(body.errors)));
  throw new ApiError(classify(response.status), response.status, body, message);
}

export const isPull = (b) => b && typeof b.cursor === "number" && b.changes && "reset" in b;
export const isPush = (b) => b && typeof b.last_mutation_seq === "number" && Array.isArray(b.results);
export const isDevice = (b) => b && typeof b.token === "string" && b.device_id;
