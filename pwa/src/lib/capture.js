// Turning a captured file into evidence: the bytes as captured are the evidence (hashed on the
// phone). When the "downscale photos" setting is on, the photo is re-encoded first and those
// downscaled bytes are the evidence instead. A small thumbnail is kept for the gallery after the
// bytes themselves have been uploaded and freed.
import { getMeta } from "./db.js";
import { addMedia } from "./work.js";

export const KIND_OF = (mime) =>
  mime.startsWith("image/") ? "photo" : mime.startsWith("audio/") ? "audio" : mime.startsWith("video/") ? "video" : "document";

async function bitmapOf(blob) {
  if (typeof createImageBitmap === "function") return createImageBitmap(blob);
  return null;
}

async function encode(bitmap, maxSide, type, quality) {
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
    return canvas.convertToBlob({ type, quality });
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

async function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

export async function thumbnailOf(blob) {
  try {
    const bitmap = await bitmapOf(blob);
    if (!bitmap) return null;
    const small = await encode(bitmap, 240, "image/jpeg", 0.7);
    bitmap.close && bitmap.close();
    return dataUrl(small);
  } catch {
    return null;
  }
}

export async function captureFile(file, { visitId, recordId, questionId }) {
  let blob = file;
  const mime = file.type || "application/octet-stream";
  const kind = KIND_OF(mime);
  if (kind === "photo" && (await getMeta("downscale_photos", false))) {
    const bitmap = await bitmapOf(file);
    if (bitmap) {
      blob = await encode(bitmap, 1920, "image/jpeg", 0.85);
      bitmap.close && bitmap.close();
    }
  }
  const bytes = await blob.arrayBuffer();
  const thumb = kind === "photo" ? await thumbnailOf(blob) : null;
  return addMedia({
    visitId,
    recordId,
    kind,
    bytes,
    mime: blob.type || mime,
    name: file.name || null,
    questionId,
    thumb,
  });
}
