import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { formatDateTime, formatDay, lang, t } from "../src/lib/i18n.js";
import { teamOf } from "../src/ui/Visits.jsx";

afterEach(() => {
  lang.value = "zh";
});

describe("t()", () => {
  it("fills {name} placeholders in the language chosen", () => {
    const params = { count: 3 };
    expect(t("还有 {count} 项必填未完成", params)).toBe("还有 3 项必填未完成");
    lang.value = "en";
    expect(t("还有 {count} 项必填未完成", params)).toBe("3 required answers still missing");
  });

  it("falls back to the Chinese text, filled, when English is missing", () => {
    lang.value = "en";
    expect(t("没有英文的{x}句子", { x: "某" })).toBe("没有英文的某句子");
    expect(t("服务器说的话")).toBe("服务器说的话");
  });

  it("inserts values as they are: no $ patterns, no second pass, unknown names left", () => {
    expect(t("{a}-{b}", { a: "$&$'", b: "{a}" })).toBe("$&$'-{a}");
    expect(t("{a} {missing}", { a: 0 })).toBe("0 {missing}");
    // A parameter named like an Object.prototype member is not taken from the prototype.
    expect(t("{toString}", {})).toBe("{toString}");
  });

  it("keeps elements as elements (data inside a translated sentence)", () => {
    const name = { type: "span", props: { children: "威海某公司" } };
    lang.value = "en";
    const parts = t("扫码核验证件，并查看本人是否受派检查 {subject}", { subject: name });
    expect(Array.isArray(parts)).toBe(true);
    expect(parts[0]).toBe("Scan to verify this credential and whether its holder is assigned to inspect ");
    expect(parts[1]).toBe(name);
    expect(parts).toHaveLength(2); // no empty string after the last placeholder
  });
});

describe("dates for the language", () => {
  it("formats days and moments in Beijing time", () => {
    expect(formatDay("2026-03-04")).toBe("2026-03-04");
    expect(formatDateTime("2026-03-04T16:30:00Z")).toBe("2026/3/5 00:30:00");
    lang.value = "en";
    expect(formatDay("2026-03-04")).toBe("4 Mar 2026");
    expect(formatDateTime("2026-03-04T16:30:00Z")).toBe("5 Mar 2026, 00:30");
    expect(formatDay("")).toBe("—");
    expect(formatDateTime(null)).toBe("—");
  });
});

describe("a visit's team", () => {
  it("lists each person once, leads first, lead of any section marked", () => {
    const sections = [
      { team: [{ name: "张三", credential_no: "A1", is_lead: true }, { name: "李四", credential_no: "A2" }] },
      { team: [{ name: "李四", credential_no: "A2", is_lead: true }, { name: "王五", credential_no: "A3" }, { name: "张三", credential_no: "A1" }] },
    ];
    expect(teamOf(sections).map((m) => [m.name, m.is_lead])).toEqual([
      ["张三", true],
      ["李四", true],
      ["王五", false],
    ]);
  });
});

// Every Chinese text on the screens below goes through t() with an English entry: after
// removing comments and the string literals that are keys of the English table, no Han
// character may be left (JSX text, template literals and untranslated strings all would be).
const SCREENS = [
  "ui/Notice.jsx",
  "ui/Credential.jsx",
  "ui/Sync.jsx",
  "ui/Settings.jsx",
  "ui/Team.jsx",
  "ui/Recusal.jsx",
  "ui/Visit.jsx",
  "ui/Visits.jsx",
  "ui/Checklist.jsx",
  "ui/Login.jsx",
  "ui/common.jsx",
  "ui/hooks.js",
  "lib/account.js",
  "lib/capture.js",
  "lib/router.js",
  "sync/api.js",
  "sync/engine.js",
  "sync/outbox.js",
  "sync/tusstore.js",
];
// Named in itself on the language switch (marked lang="zh-CN").
const SELF_NAMED = ["中文"];

describe("English for every screen text", () => {
  it("has an entry for each Chinese text in the screens' code", () => {
    lang.value = "en";
    const left = [];
    for (const file of SCREENS) {
      let code = readFileSync(new URL(`../src/${file}`, import.meta.url), "utf8");
      code = code
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/(^|\s)\/\/.*$/gm, "$1")
        .replace(/"([^"\n]*)"/g, (literal, text) => (t(text) !== text || !/[\u4e00-\u9fff]/.test(text) ? '""' : literal));
      for (const word of SELF_NAMED) code = code.replaceAll(word, "");
      code.split("\n").forEach((line, n) => {
        if (/[\u4e00-\u9fff]/.test(line)) left.push(`${file}:${n + 1}: ${line.trim()}`);
      });
    }
    expect(left).toEqual([]);
  });
});
