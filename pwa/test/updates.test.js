import { describe, expect, it } from "vitest";
import { IDLE_MS, mayApplyNow } from "../src/lib/updates.js";

describe("a waiting update applies by itself only when the phone is idle", () => {
  it("applies at once on screens where nothing is being entered", () => {
    for (const route of ["/visits", "/login", "/sync", "/settings"]) {
      expect(mayApplyNow({ route })).toBe(true);
    }
  });

  it("waits on a visit's screens while the inspector is working", () => {
    for (const route of ["/visit/v1", "/visit/v1/checklist/t1", "/visit/v1/evidence"]) {
      expect(mayApplyNow({ route, idleFor: 10_000 })).toBe(false);
      expect(mayApplyNow({ route, idleFor: IDLE_MS })).toBe(true);
      expect(mayApplyNow({ route, hidden: true })).toBe(true);
    }
  });

  it("never reloads under a signature being drawn", () => {
    for (const route of ["/visit/v1/notice", "/visit/v1/signoff"]) {
      expect(mayApplyNow({ route, hidden: true, idleFor: 10 * IDLE_MS })).toBe(false);
    }
  });

  it("never while audio is recording, wherever the inspector is", () => {
    for (const route of ["/visits", "/visit/v1/checklist/t1"]) {
      expect(mayApplyNow({ route, recording: true, hidden: true, idleFor: 10 * IDLE_MS })).toBe(false);
    }
  });
});
