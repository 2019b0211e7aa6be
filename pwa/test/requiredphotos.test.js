// Required photos: the phone blocks signing without them (missingFor) and the signed record
// says which question each photo answers, which the server checks (sync push photo_missing).
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { setMeta } from "../src/lib/db.js";
import { buildRecord } from "../src/lib/work.js";
import { missingFor } from "../src/ui/visitdata.js";

const task = { id: "t1", checklist_id: "c1" };
const questions = [
  { id: "q-yes", position: 0, answer_type: "yes_no_na", required: true },
  { id: "q-photo", position: 1, answer_type: "photo_required", required: true },
  { id: "q-optional", position: 2, answer_type: "text", required: false },
];
const data = (media, drafts = []) => ({ checklists: { c1: { id: "c1", questions } }, media, drafts });
const photo = (extra) => ({ id: "m1", record_id: "d1", question_id: "q-photo", kind: "photo", ...extra });

describe("missingFor", () => {
  const draft = { id: "d1", answers: { "q-yes": "yes" } };

  it("a required photo not taken blocks signing", () => {
    expect(missingFor(data([]), task, draft).map((q) => q.id)).toEqual(["q-photo"]);
  });

  it("a photo of that question in this record satisfies it", () => {
    expect(missingFor(data([photo()]), task, draft)).toEqual([]);
  });

  it("a photo of another record, another question or another kind does not", () => {
    for (const other of [photo({ record_id: "d0" }), photo({ question_id: "q-yes" }), photo({ kind: "document" })]) {
      expect(missingFor(data([other]), task, draft).map((q) => q.id)).toEqual(["q-photo"]);
    }
  });

  it("an unanswered required question is missing too, an optional one is not", () => {
    const missing = missingFor(data([photo()]), task, { id: "d1", answers: {} });
    expect(missing.map((q) => q.id)).toEqual(["q-yes"]);
  });
});

describe("the signed record", () => {
  it("names the question each photo answers (and nothing for other evidence)", async () => {
    await setMeta("device_id", "dev-1");
    const visit = { id: "v1", subject_id: "s1", uscc: "91370000000000000X", sections: [{ task_id: "t1", team: [] }] };
    const media = [
      photo({ sha256: "a".repeat(64), mime: "image/jpeg", size: 10, captured_at: "2026-12-03T01:00:00Z" }),
      { id: "m2", record_id: "d1", kind: "audio", sha256: "b".repeat(64), mime: "audio/webm", size: 20, captured_at: "2026-12-03T01:00:00Z" },
    ];
    const { record } = await buildRecord({
      visit,
      subject: { name: "某公司", address: "" },
      task: { number: "T-1", name: "抽查" },
      draft: { id: "d1", task_id: "t1", answers: {}, notes: {} },
      events: [],
      media,
      sign: { signer: "法人", finished_at: "2026-12-03T02:00:00Z" },
    });
    expect(record.media.map((m) => m.question_id)).toEqual(["q-photo", undefined]);
    expect("question_id" in record.media[1]).toBe(false);
  });
});
