import { describe, expect, it } from "vitest";
import { missingFor, myTasks } from "../src/ui/visitdata.js";

// A visit as loadVisit returns it: one checklist with a required photo, a required answer and
// an optional one.
function visitData({ drafts = [], media = [] } = {}) {
  return {
    visit: {
      id: "v1",
      sections: [
        { task_id: "t1", team: [{ name: "张伟", is_me: true }, { name: "周敏", is_me: false }] },
        { task_id: "t2", team: [{ name: "曲晓东", is_me: false }, { name: "吴刚", is_me: false }] },
      ],
    },
    tasks: [
      { id: "t1", number: "A-1", checklist_id: "c1" },
      { id: "t2", number: "B-1", checklist_id: "c1" },
    ],
    checklists: {
      c1: {
        questions: [
          { id: "q-photo", position: 1, answer_type: "photo_required", required: true, text: "拍摄营业执照" },
          { id: "q-yes", position: 2, answer_type: "yes_no_na", required: true, text: "是否备案" },
          { id: "q-note", position: 3, answer_type: "text", required: false, text: "其他" },
        ],
      },
    },
    drafts,
    media,
  };
}

const draft = (id, answers = {}, extra = {}) => ({ id, task_id: "t1", answers, notes: {}, state: "draft", ...extra });
const photo = (extra) => ({ id: `m-${Math.random()}`, kind: "photo", question_id: "q-photo", record_id: "d1", ...extra });
const ids = (questions) => questions.map((q) => q.id);

describe("missingFor", () => {
  const task = { id: "t1", checklist_id: "c1" };

  it("lists every required question of a section not started yet", () => {
    expect(ids(missingFor(visitData(), task, undefined))).toEqual(["q-photo", "q-yes"]);
  });

  it("keeps a required photo missing until a photo of that question is on that record", () => {
    const d1 = draft("d1", { "q-yes": "yes" });
    expect(ids(missingFor(visitData({ drafts: [d1] }), task, d1))).toEqual(["q-photo"]);
    // A photo of another question, another section's record, a document, a removed photo: no.
    const wrong = [
      photo({ question_id: "q-yes" }),
      photo({ record_id: "other-record" }),
      photo({ kind: "document" }),
      photo({ removed: true }),
    ];
    expect(ids(missingFor(visitData({ drafts: [d1], media: wrong }), task, d1))).toEqual(["q-photo"]);
    expect(missingFor(visitData({ drafts: [d1], media: [...wrong, photo()] }), task, d1)).toEqual([]);
  });

  it("counts a required answer once given, 0 and 'no' included, not an empty text", () => {
    const media = [photo()];
    for (const [value, missing] of [
      [undefined, true],
      [null, true],
      ["", true],
      ["no", false],
      [0, false],
    ]) {
      const d1 = draft("d1", value === undefined ? {} : { "q-yes": value });
      expect(ids(missingFor(visitData({ drafts: [d1], media }), task, d1))).toEqual(missing ? ["q-yes"] : []);
    }
  });

  it("lets a correction keep the photos of the version it corrects, not another section's", () => {
    const v1 = draft("d1", { "q-yes": "yes" }, { state: "submitted", version: 1 });
    const v2 = draft("d2", { "q-yes": "yes" }, { version: 2, supersedes_id: "d1" });
    expect(missingFor(visitData({ drafts: [v1, v2], media: [photo({ record_id: "d1" })] }), task, v2)).toEqual([]);
    const otherSection = { ...draft("d9"), task_id: "t2" };
    const data = visitData({ drafts: [v2, otherSection], media: [photo({ record_id: "d9" })] });
    expect(ids(missingFor(data, task, v2))).toEqual(["q-photo"]);
  });
});

describe("myTasks", () => {
  it("keeps only the sections whose team has this inspector (a merged visit carries others')", () => {
    expect(myTasks(visitData()).map((t) => t.id)).toEqual(["t1"]);
  });
});

describe("sign-off of a merged visit", () => {
  it("signs and checks only this inspector's team's sections", async () => {
    const { signingState } = await import("../src/ui/SignOff.jsx");
    const d1 = draft("d1", { "q-yes": "yes" });
    // The other team's section has nothing filled in on this phone: it blocks nothing here.
    const data = { ...visitData({ drafts: [d1], media: [photo()] }), events: [{ kind: "notice.delivered" }] };
    const state = signingState(data);
    expect(state.toSign.map((s) => s.task.id)).toEqual(["t1"]);
    expect(state.blockers).toEqual([]);
    // Without the photo, the blocker names it and leads to the checklist of that section.
    const blocked = signingState({ ...data, media: [] });
    expect(blocked.blockers).toEqual([["A-1：缺少必拍照片：拍摄营业执照", "/visit/v1/checklist/t1"]]);
  });
});
