// Uploading photos, audio and documents: tus (resumable, the upload URL kept in IndexedDB), one
// file at a time; the bytes leave the phone only once the server has verified their SHA-256.
// The page uploads with tus-js-client's XMLHttpRequest stack (it reports progress); the service
// worker, which has no XMLHttpRequest, passes the fetch stack (sync/fetchstack.js).
import * as tus from "tus-js-client";
import { db as defaultDb, getMeta } from "../lib/db.js";
import { ApiError } from "./api.js";
import { DexieUrlStorage } from "./tusstore.js";

export const CHUNK_SIZE = 1024 * 1024;

export async function uploadAll({ database = defaultDb, onProgress, httpStack } = {}) {
  const token = await getMeta("token", null, database);
  const waiting = await database.media.where("state").anyOf("local", "uploading").toArray();
  for (const media of waiting) {
    await uploadOne(media, { database, token, onProgress, httpStack });
  }
}

export async function uploadOne(media, { database = defaultDb, token, onProgress, httpStack }) {
  const stored = await database.blobs.get(media.id);
  if (!stored) {
    await database.media.update(media.id, { state: "failed", error: "本机找不到该文件的数据" });
    return;
  }
  const file = new Blob([stored.bytes], { type: media.mime });
  await database.media.update(media.id, { state: "uploading" });
  await new Promise((resolve, reject) => {
    const upload = new tus.Upload(file, {
      endpoint: "/api/v1/uploads/",
      chunkSize: CHUNK_SIZE,
      retryDelays: [], // our own backoff decides when to try again
      headers: { Authorization: `Bearer ${token}` },
      metadata: {
        media_id: media.id,
        sha256: media.sha256,
        content_type: media.mime,
        record_id: media.record_id || "",
        filename: media.name || `${media.kind}-${media.id}`,
      },
      urlStorage: new DexieUrlStorage(database),
      fingerprint: async () => `media:${media.id}`,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      ...(httpStack ? { httpStack } : {}),
      onProgress: (sent, total) => onProgress && onProgress(media.id, sent, total),
      onError: (error) => reject(error),
      onSuccess: () => resolve(),
    });
    upload
      .findPreviousUploads()
      .then((previous) => {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      })
      .catch(reject);
  }).then(
    async () => {
      // The last PATCH succeeded: the server has checked size and SHA-256. The bytes may go;
      // the thumbnail made at capture stays for the gallery.
      await database.transaction("rw", database.media, database.blobs, async () => {
        await database.media.update(media.id, {
          state: "verified",
          error: null,
          verified_at: new Date().toISOString(),
        });
        await database.blobs.delete(media.id);
      });
    },
    async (error) => {
      const statusCode = error.originalResponse ? error.originalResponse.getStatus() : 0;
      if (statusCode === 460) {
        // Size or hash mismatch: the server discarded its partial copy; start again next time.
        await database.tusurls.where("fingerprint").equals(`media:${media.id}`).delete();
        await database.media.update(media.id, {
          state: "local",
          error: "服务器校验不一致，将重新上传",
          mismatches: (media.mismatches || 0) + 1,
        });
        throw new ApiError("retry", 460, null, "hash mismatch");
      }
      if (statusCode === 401) throw new ApiError("auth", 401, null, "sign in");
      if (statusCode >= 400 && statusCode < 500 && ![408, 409, 429].includes(statusCode)) {
        const text = error.originalResponse ? error.originalResponse.getBody() : "";
        await database.media.update(media.id, { state: "failed", error: text || String(error) });
        return;
      }
      await database.media.update(media.id, { state: "local" });
      throw new ApiError("retry", statusCode, null, String(error.message || error));
    },
  );
}
