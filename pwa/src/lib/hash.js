// SHA-256 and the canonical record hash (RFC 8785 JSON → SHA-256, lowercase hex). The server
// recomputes the same with the Python `rfc8785` package (sync/integrity.py record_hash);
// test/vectors.test.js checks both agree on shared vectors.
import canonicalize from "canonicalize";

export function toHex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sha256Hex(data) {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return toHex(await crypto.subtle.digest("SHA-256", bytes));
}

export function canonical(record) {
  return canonicalize(record);
}

export async function recordHash(record) {
  return sha256Hex(canonical(record));
}
