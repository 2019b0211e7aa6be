// The phone's canonical record hash equals the server's on the shared vectors
// (tests/vectors/record_hashes.json, computed by the server's `rfc8785` package).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { recordHash } from "../src/lib/hash.js";

const vectors = JSON.parse(readFileSync(new URL("../../tests/vectors/record_hashes.json", import.meta.url)));

describe("record hash vectors", () => {
  for (const vector of vectors) {
    it(vector.name, async () => {
      expect(await recordHash(vector.record)).toBe(vector.sha256);
    });
  }
});
