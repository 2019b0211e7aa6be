import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openDb, setMeta } from "../src/lib/db.js";
import { FetchHttpStack } from "../src/sync/fetchstack.js";
import { CHUNK_SIZE, uploadAll } from "../src/sync/uploads.js";

// A tus server in memory, answered through fetch() — what the service worker's uploads speak.
function tusServer({ failPatch = () => false } = {}) {
  const uploads = new Map();
  const calls = [];
  const fetchImpl = async (url, init) => {
    const path = new URL(url, "http://phone.test").pathname;
    const headers = init.headers || {};
    calls.push({ method: init.method, path, auth: headers.Authorization });
    if (init.method === "POST") {
      const id = `u${uploads.size + 1}`;
      uploads.set(id, { length: Number(headers["Upload-Length"]), bytes: new Uint8Array(0), meta: headers["Upload-Metadata"] });
      return new Response(null, { status: 201, headers: { Location: `/api/v1/uploads/${id}` } });
    }
    const upload = uploads.get(path.split("/").pop());
    if (!upload) return new Response("no such upload", { status: 404 });
    if (init.method === "HEAD") {
      return new Response(null, {
        status: 200,
        headers: { "Upload-Offset": String(upload.bytes.length), "Upload-Length": String(upload.length) },
      });
    }
    if (init.method === "PATCH") {
      if (failPatch(calls.filter((c) => c.method === "PATCH").length)) throw new TypeError("Failed to fetch");
      expect(Number(headers["Upload-Offset"])).toBe(upload.bytes.length);
      const chunk = new Uint8Array(await init.body.arrayBuffer());
      const joined = new Uint8Array(upload.bytes.length + chunk.length);
      joined.set(upload.bytes);
      joined.set(chunk, upload.bytes.length);
      upload.bytes = joined;
      return new Response(null, { status: 204, headers: { "Upload-Offset": String(joined.length) } });
    }
    return new Response("method", { status: 405 });
  };
  return { uploads, calls, fetchImpl };
}

// Byte for byte, cheaply (toEqual walks two million elements one by one).
const same = (a, b) => Buffer.from(a).equals(Buffer.from(b));

let db;
const bytes = new Uint8Array(CHUNK_SIZE * 2 + 12345).map((_, i) => (i * 7) % 251);

beforeEach(async () => {
  db = openDb(`uploads-${Math.random()}`);
  await db.open();
  await setMeta("token", "tok", db);
  await db.media.put({ id: "m1", kind: "photo", mime: "image/jpeg", sha256: "ab".repeat(32), record_id: "r1", state: "local" });
  await db.blobs.put({ id: "m1", bytes });
});
afterEach(() => vi.unstubAllGlobals());

describe("uploads over fetch (the service worker's)", () => {
  it("sends every chunk, and the bytes leave the phone once the server has them all", async () => {
    const server = tusServer();
    vi.stubGlobal("fetch", server.fetchImpl);
    await uploadAll({ database: db, httpStack: new FetchHttpStack() });
    const [stored] = [...server.uploads.values()];
    expect(same(stored.bytes, bytes)).toBe(true);
    expect(server.calls.map((c) => c.method)).toEqual(["POST", "PATCH", "PATCH", "PATCH"]);
    expect(server.calls.every((c) => c.auth === "Bearer tok")).toBe(true);
    expect((await db.media.get("m1")).state).toBe("verified");
    expect(await db.blobs.get("m1")).toBeUndefined();
    expect(await db.tusurls.count()).toBe(0);
  });

  it("keeps the bytes when the network drops mid-file, and resumes at the server's offset", async () => {
    const server = tusServer({ failPatch: (n) => n === 2 }); // the second chunk is lost
    vi.stubGlobal("fetch", server.fetchImpl);
    await expect(uploadAll({ database: db, httpStack: new FetchHttpStack() })).rejects.toMatchObject({ kind: "retry" });
    expect((await db.media.get("m1")).state).toBe("local");
    expect(same((await db.blobs.get("m1")).bytes, bytes)).toBe(true);
    expect(await db.tusurls.count()).toBe(1);

    await uploadAll({ database: db, httpStack: new FetchHttpStack() });
    expect(server.uploads.size).toBe(1); // resumed, not started over
    expect(same([...server.uploads.values()][0].bytes, bytes)).toBe(true);
    expect(server.calls.map((c) => c.method)).toEqual(["POST", "PATCH", "PATCH", "HEAD", "PATCH", "PATCH"]);
    expect((await db.media.get("m1")).state).toBe("verified");
    expect(await db.blobs.get("m1")).toBeUndefined();
  });
});
