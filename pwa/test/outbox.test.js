import "fake-indexeddb/auto";
import { beforeEach, describe, expect, it } from "vitest";
import { openDb } from "../src/lib/db.js";
import { enqueue, pending, settle } from "../src/sync/outbox.js";

let db;
beforeEach(async () => {
  db = openDb(`test-${Math.random()}`);
  await db.open();
});

describe("outbox", () => {
  it("numbers mutations 1, 2, 3 … in the order they were made, with the local write", async () => {
    await enqueue([{ type: "visit.start", args: { visit_id: "v" } }], { database: db });
    const seqs = await enqueue([], {
      database: db,
      tables: ["events"],
      work: async () => {
        await db.events.add({ id: "e1", visit_id: "v", kind: "credential.shown" });
        return [
          { type: "credential.shown", args: { visit_id: "v" } },
          { type: "record.save_draft", args: { visit_id: "v" } },
        ];
      },
    });
    expect(seqs).toEqual([2, 3]);
    expect((await pending(db)).map((r) => r.type)).toEqual(["visit.start", "credential.shown", "record.save_draft"]);
    expect(await db.events.count()).toBe(1);
  });

  it("writes neither the local change nor the mutation when the work fails", async () => {
    await expect(
      enqueue([{ type: "visit.start", args: {} }], {
        database: db,
        tables: ["events"],
        work: async () => {
          await db.events.add({ id: "e1", visit_id: "v", kind: "x" });
          throw new Error("disk full");
        },
      }),
    ).rejects.toThrow("disk full");
    expect(await db.outbox.count()).toBe(0);
    expect(await db.events.count()).toBe(0);
    expect(await enqueue([{ type: "visit.start", args: {} }], { database: db })).toEqual([1]);
  });

  it("drops applied and duplicate-applied rows, keeps rejected ones with the reason", async () => {
    await enqueue(
      [1, 2, 3, 4].map((n) => ({ type: "record.save_draft", args: { n } })),
      { database: db },
    );
    await settle(
      [
        { seq: 1, status: "applied" },
        { seq: 2, status: "duplicate", result: "applied" },
        { seq: 3, status: "rejected", error: { code: "record_signed", message: "记录已签名" } },
        { seq: 4, status: "duplicate", result: "rejected", error: { code: "x", message: "y" } },
      ],
      db,
    );
    const rows = await db.outbox.toArray();
    expect(rows.map((r) => [r.seq, r.state])).toEqual([
      [3, "rejected"],
      [4, "rejected"],
    ]);
    expect(rows[0].error.message).toBe("记录已签名");
    expect(await pending(db)).toEqual([]);
    // numbering continues after settled rows
    expect(await enqueue([{ type: "visit.start", args: {} }], { database: db })).toEqual([5]);
  });

  it("survives reopening the database (an app kill)", async () => {
    const name = db.name;
    await enqueue([{ type: "visit.start", args: { visit_id: "v" } }], { database: db });
    db.close();
    const again = openDb(name);
    await again.open();
    expect((await pending(again)).map((r) => r.seq)).toEqual([1]);
  });
});
