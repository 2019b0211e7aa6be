import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { db } from "../src/lib/db.js";
import { draftFor, saveLocal } from "../src/lib/work.js";

describe("drafts", () => {
  it("two screens asking at once get the same draft", async () => {
    const [a, b, c] = await Promise.all([draftFor("v1", "t1"), draftFor("v1", "t1"), draftFor("v1", "t1")]);
    expect(new Set([a.id, b.id, c.id]).size).toBe(1);
    expect(await db.drafts.where("visit_id").equals("v1").count()).toBe(1);
  });

  it("quick taps on different questions never undo each other", async () => {
    const draft = await draftFor("v2", "t1");
    await Promise.all([
      saveLocal(draft.id, { answers: { q1: "yes" } }),
      saveLocal(draft.id, { answers: { q2: "no" } }),
      saveLocal(draft.id, { notes: { q1: "台账齐全" } }),
      saveLocal(draft.id, { answers: { q3: 12.5 } }),
    ]);
    const row = await db.drafts.get(draft.id);
    expect(row.answers).toEqual({ q1: "yes", q2: "no", q3: 12.5 });
    expect(row.notes).toEqual({ q1: "台账齐全" });
    expect(row.dirty).toBe(true);
  });
});
