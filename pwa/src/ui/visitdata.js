import { db } from "../lib/db.js";

// Everything one visit's screens need, from the phone's database.
export async function loadVisit(visitId) {
  const visit = await db.visits.get(visitId);
  if (!visit) return { missing: true };
  const taskIds = visit.sections.map((s) => s.task_id);
  const [subject, tasks, events, drafts, media, records, comments, credential] = await Promise.all([
    db.subjects.get(visit.subject_id),
    db.tasks.bulkGet(taskIds),
    db.events.where("visit_id").equals(visitId).toArray(),
    db.drafts.where("visit_id").equals(visitId).toArray(),
    db.media.where("visit_id").equals(visitId).toArray(),
    db.records.where("visit_id").equals(visitId).toArray(),
    db.comments.where("visit_id").equals(visitId).toArray(),
    db.credential.toCollection().first(),
  ]);
  const itemIds = tasks.filter(Boolean).flatMap((task) => task.item_ids || []);
  const checklistIds = tasks.filter((task) => task && task.checklist_id).map((task) => task.checklist_id);
  const [items, checklists] = await Promise.all([db.items.bulkGet(itemIds), db.checklists.bulkGet(checklistIds)]);
  return {
    visit,
    subject: subject || { name: visit.uscc, address: "" },
    tasks: tasks.filter(Boolean),
    items: Object.fromEntries(items.filter(Boolean).map((i) => [i.id, i])),
    checklists: Object.fromEntries(checklists.filter(Boolean).map((c) => [c.id, c])),
    events,
    drafts,
    media,
    records,
    comments,
    credential,
  };
}

export const hasEvent = (data, kind) => data.events.some((e) => e.kind === kind);

export function latestDraft(data, taskId) {
  return data.drafts
    .filter((d) => d.task_id === taskId)
    .sort((a, b) => (b.version || 1) - (a.version || 1))[0];
}

// Questions of a task's checklist grouped by item code (general questions under null).
export function questionsOf(data, task) {
  const checklist = task.checklist_id ? data.checklists[task.checklist_id] : null;
  return checklist ? [...checklist.questions].sort((a, b) => a.position - b.position) : [];
}

// The tasks of a (possibly merged) visit whose team this inspector is on: the only sections
// this phone writes, attaches evidence to and signs (the other teams sign their own).
export function myTasks(data) {
  const mine = new Set(data.visit.sections.filter((s) => s.team.some((m) => m.is_me)).map((s) => s.task_id));
  return data.tasks.filter((task) => mine.has(task.id));
}

// What still blocks signing a section: required answers, required photos. A photo taken for an
// earlier version of the section counts for its correction (the new version's manifest carries
// the visit's files); a removed one does not.
export function missingFor(data, task, draft) {
  const records = new Set(data.drafts.filter((d) => d.task_id === task.id).map((d) => d.id));
  if (draft) records.add(draft.id);
  const missing = [];
  for (const q of questionsOf(data, task)) {
    if (q.answer_type === "photo_required") {
      const has = data.media.some((m) => m.question_id === q.id && records.has(m.record_id) && m.kind === "photo" && !m.removed);
      if (!has) missing.push(q);
    } else if (q.required) {
      const value = draft && draft.answers ? draft.answers[q.id] : undefined;
      if (value === undefined || value === null || value === "") missing.push(q);
    }
  }
  return missing;
}
