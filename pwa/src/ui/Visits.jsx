import { db } from "../lib/db.js";
import { formatDay, t } from "../lib/i18n.js";
import { go } from "../lib/router.js";
import { Badge, Data, Header, today } from "./common.jsx";
import { useLive } from "./hooks.js";
import { SyncPill } from "./Sync.jsx";

// today / overdue / upcoming, by the visit's window in Beijing time.
export function groupVisits(visits, submittedVisitIds, day = today()) {
  const groups = { overdue: [], today: [], upcoming: [], done: [] };
  for (const visit of visits) {
    if (submittedVisitIds.has(visit.id)) groups.done.push(visit);
    else if (visit.window_end < day) groups.overdue.push(visit);
    else if (visit.window_start <= day) groups.today.push(visit);
    else groups.upcoming.push(visit);
  }
  return groups;
}

// The people of a visit, each once: on a merged visit the same inspector is on several
// sections' teams (same credential number); a member who leads any section is marked lead.
// Leads first, then in the order the sections list them.
export function teamOf(sections) {
  const people = new Map();
  for (const section of sections) {
    for (const m of section.team || []) {
      const key = m.credential_no || m.name;
      const seen = people.get(key);
      if (seen) seen.is_lead = seen.is_lead || Boolean(m.is_lead);
      else people.set(key, { ...m, is_lead: Boolean(m.is_lead) });
    }
  }
  const all = [...people.values()];
  return [...all.filter((m) => m.is_lead), ...all.filter((m) => !m.is_lead)];
}

export function TeamNames({ team, sections }) {
  const people = sections ? teamOf(sections) : teamOf([{ team }]);
  return (
    <span class="team-names">
      {people.map((m, i) => (
        <span key={m.credential_no || m.name} class={m.is_lead ? "member lead" : "member"}>
          {i > 0 && t("、")}
          <Data>{m.name}</Data>
          {m.is_lead && t("（{lead}）", { lead: t("组长") })}
        </span>
      ))}
    </span>
  );
}

export function mapLink(address) {
  const q = encodeURIComponent(address || "");
  return /iPhone|iPad|Mac/.test(navigator.userAgent) ? `https://maps.apple.com/?q=${q}` : `geo:0,0?q=${q}`;
}

async function loadList() {
  const [visits, subjects, tasks, items, drafts, outbox, media, records] = await Promise.all([
    db.visits.orderBy("window_end").toArray(),
    db.subjects.toArray(),
    db.tasks.toArray(),
    db.items.toArray(),
    db.drafts.toArray(),
    db.outbox.where("state").equals("pending").toArray(),
    db.media.where("state").anyOf("local", "uploading", "failed").toArray(),
    db.records.toArray(),
  ]);
  const bySubject = Object.fromEntries(subjects.map((s) => [s.id, s]));
  const byTask = Object.fromEntries(tasks.map((x) => [x.id, x]));
  const byItem = Object.fromEntries(items.map((x) => [x.id, x]));
  const waiting = new Map();
  const note = (visitId) => waiting.set(visitId, (waiting.get(visitId) || 0) + 1);
  for (const row of outbox) if (row.args && row.args.visit_id) note(row.args.visit_id);
  for (const m of media) note(m.visit_id);
  // A section is done when this phone submitted it, or when the server holds its newest record
  // as handed in (submitted from a teammate's or an earlier phone, or approved) — not when the
  // newest was sent back for correction.
  const newest = new Map();
  for (const r of records) {
    const key = `${r.visit_id}/${r.task_id}`;
    if (!newest.has(key) || (r.version || 1) > (newest.get(key).version || 1)) newest.set(key, r);
  }
  const handedIn = (visitId, taskId) => {
    const r = newest.get(`${visitId}/${taskId}`);
    return Boolean(r) && ["submitted", "awaiting_media", "approved"].includes(r.state);
  };
  const submitted = new Set();
  for (const visit of visits) {
    const mine = drafts.filter((d) => d.visit_id === visit.id);
    const done = (s) => mine.some((d) => d.task_id === s.task_id && d.state === "submitted") || handedIn(visit.id, s.task_id);
    if (visit.sections.length && visit.sections.every(done)) submitted.add(visit.id);
  }
  return { visits, bySubject, byTask, byItem, waiting, submitted };
}

export function Visits() {
  const data = useLive(loadList, [], null);
  if (!data) return <Header title={t("我的检查")} />;
  const groups = groupVisits(data.visits, data.submitted);
  const order = [
    ["overdue", "逾期"],
    ["today", "今天"],
    ["upcoming", "即将开始"],
    ["done", "已完成"],
  ];
  return (
    <>
      <Header
        title={t("我的检查")}
        right={
          <button class="bar-action" type="button" onClick={() => go("/settings")} aria-label={t("设置")}>
            ⚙
          </button>
        }
      />
      <SyncPill />
      <main class="list">
        {data.visits.length === 0 && <p class="empty">{t("没有分配给您的检查。")}</p>}
        {order.map(([key, label]) =>
          groups[key].length ? (
            <section key={key} aria-label={t(label)}>
              <h2 class={`group group-${key}`}>
                {t(label)} <span class="count">{groups[key].length}</span>
              </h2>
              {groups[key].map((visit) => (
                <VisitCard key={visit.id} visit={visit} data={data} overdue={key === "overdue"} />
              ))}
            </section>
          ) : null,
        )}
      </main>
    </>
  );
}

function VisitCard({ visit, data, overdue }) {
  const subject = data.bySubject[visit.subject_id] || {};
  const waiting = data.waiting.get(visit.id) || 0;
  const tasks = visit.sections.map((s) => data.byTask[s.task_id]).filter(Boolean);
  const itemNames = tasks.flatMap((task) => (task.item_ids || []).map((id) => (data.byItem[id] || {}).name)).filter(Boolean);
  return (
    <article class="card visit" data-visit={visit.id} onClick={() => go(`/visit/${visit.id}`)}>
      <h3>
        <Data>{subject.name || visit.uscc}</Data>
        {visit.sections.length > 1 && <Badge>{t("合并检查")}</Badge>}
        {visit.i_am_lead && <Badge kind="ok">{t("组长")}</Badge>}
      </h3>
      <p class="addr">
        <a href={mapLink(subject.address)} onClick={(e) => e.stopPropagation()}>
          <Data>{subject.address}</Data>
        </a>
      </p>
      <p class="muted">
        <Data>{[...new Set(itemNames)].join("、")}</Data>
      </p>
      <p class="team">
        {t("{label}：", { label: t("检查组") })}
        <TeamNames sections={visit.sections} />
      </p>
      <p class="row">
        <span class={overdue ? "danger-text" : ""}>
          {t("截止")} {formatDay(visit.window_end)}
        </span>
        <span class="row">
          {waiting ? <Badge kind="warn">{t("待发送")} {waiting}</Badge> : data.submitted.has(visit.id) ? <Badge kind="ok">{t("已提交")}</Badge> : null}
          <button class="link" type="button" aria-label={t("打开检查")}>
            ›
          </button>
        </span>
      </p>
    </article>
  );
}
