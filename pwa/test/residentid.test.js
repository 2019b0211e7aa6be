import { describe, expect, it } from "vitest";
import { validResidentId } from "../src/lib/work.js";

describe("resident ID check digit (GB 11643-1999)", () => {
  it("accepts valid numbers and refuses wrong check digits and shapes", () => {
    expect(validResidentId("11010519491231002X")).toBe(true);
    expect(validResidentId("11010519491231002x")).toBe(true);
    expect(validResidentId("110105194912310021")).toBe(false);
    expect(validResidentId("1101051949123100")).toBe(false);
    expect(validResidentId("")).toBe(false);
  });
});
