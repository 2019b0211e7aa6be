import { useState } from "preact/hooks";
import { formatDay, t } from "../lib/i18n.js";
import { go } from "../lib/router.js";
import { noticeDelivered } from "../lib/work.js";
import { Data, Header, beijingDay, localDate, today } from "./common.jsx";
import { useLive } from "./hooks.js";
import { SignaturePad } from "./SignaturePad.jsx";
import { loadVisit } from "./visitdata.js";

export const METHODS = {
  onsite: "实地核查",
  documentary: "书面检查",
  online: "网络监测",
  testing: "检验检测",
  commissioned: "委托专业机构",
  other_dept: "采用其他部门检查结果",
};

// Parts joined by the language's list separator ("、" / ", "), elements kept as elements.
export function joinParts(parts, separator = t("、")) {
  return parts.flatMap((part, i) => (i ? [separator, part] : [part]));
}

// The notice (抽查告知书) with every field domain.md lists, rendered from the visit. It is dated
// the day it was delivered (the notice.delivered event's time, in Beijing) once it has been;
// before that, today.
export function NoticeText({ data, deliveredAt }) {
  const { visit, subject, tasks, items, credential } = data;
  const bureau = (credential && credential.bureau) || { name: credential ? credential.issuer : "" };
  const lines = tasks.flatMap((task) => (task.item_ids || []).map((id) => items[id]).filter(Boolean));
  const bases = [...new Set(lines.map((i) => i.legal_basis).filter(Boolean))];
  const methods = [...new Set(tasks.flatMap((task) => task.methods || []))].map((m) => (METHODS[m] ? t(METHODS[m]) : m));
  const team = visit.sections.flatMap((s) => s.team);
  const members = [...new Map(team.map((m) => [m.credential_no, m])).values()];
  const materials = tasks.map((task) => task.materials).filter(Boolean);
  const day = deliveredAt ? beijingDay(deliveredAt) : today();
  return (
    <article class="notice" id="notice-text">
      <h2>
        <Data>{bureau.name}</Data>
      </h2>
      <h3>{t("抽查检查告知书")}</h3>
      <p class="mono">
        <Data>{joinParts(tasks.map((task) => task.number).filter(Boolean)).join("")}</Data>
      </p>
      <p>
        {t("{name}（统一社会信用代码：{uscc}）：", {
          name: (
            <strong>
              <Data>{subject.name}</Data>
            </strong>
          ),
          uscc: visit.uscc,
        })}
      </p>
      <p>
        {t(
          "根据{bases}的规定和“双随机、一公开”监管工作安排，你单位被随机抽取为检查对象。本局定于{start} 至 {end} 期间，采取{methods}方式，对你单位下列事项进行检查：",
          {
            bases: bases.length ? <Data>{bases.join("、")}</Data> : t("有关法律法规"),
            start: formatDay(visit.window_start),
            end: formatDay(visit.window_end),
            methods: methods.length ? joinParts(methods).join("") : t("实地核查"),
          },
        )}
      </p>
      <ol>
        {lines.map((item) => (
          <li key={item.id}>
            {t("{name}：{content}", { name: <Data>{item.name}</Data>, content: <Data>{item.content}</Data> })}
          </li>
        ))}
      </ol>
      {materials.length > 0 && <p>{t("请准备以下材料：{materials}", { materials: <Data>{materials.join("；")}</Data> })}</p>}
      <p>
        {t("检查人员：")}
        {joinParts(
          members.map((m) => (
            <span key={m.credential_no}>
              {t("{name}（执法证号 {number}）", { name: <Data>{m.name}</Data>, number: m.credential_no })}
            </span>
          )),
        )}
      </p>
      <p>
        {t(
          "你单位认为检查人员与你单位有直接利害关系或者其他关系、可能影响公正检查的，有权申请其回避。对检查结果有异议的，可以自结果公示之日起依法提出异议，也可以依法申请行政复议或者提起行政诉讼。",
        )}
      </p>
      <p class="warn-text">
        {t("请予以配合。拒绝、阻碍检查的，将依法处理，并将“不配合检查情节严重”的检查结果向社会公示。")}
      </p>
      {bureau.contact_phone && <p>{t("联系电话：{phone}", { phone: bureau.contact_phone })}</p>}
      {bureau.address && <p>{t("地址：{address}", { address: <Data>{bureau.address}</Data> })}</p>}
      <p class="sign-line" id="notice-date" data-day={day}>
        <Data>{bureau.name}</Data>
        <br />
        {formatDay(day)}
      </p>
    </article>
  );
}

export function Notice({ id }) {
  const data = useLive(() => loadVisit(id), [id], null);
  const [mode, setMode] = useState("sign");
  const [signer, setSigner] = useState("");
  const [signature, setSignature] = useState(null);
  const [note, setNote] = useState("");
  const [error, setError] = useState(null);
  if (!data || data.missing) return <Header title={t("送达告知书")} back={`/visit/${id}`} />;
  const delivered = data.events.find((e) => e.kind === "notice.delivered");
  async function save() {
    if (mode === "sign") {
      if (!signature) return setError("请当事人在签名框内签名");
      if (!signer.trim()) return setError("请填写签收人姓名");
      await noticeDelivered(id, { signature: { ...signature, signer: signer.trim() } });
    } else {
      if (!note.trim()) return setError("请写明拒绝签收的情况");
      await noticeDelivered(id, { refusal: { note: note.trim() } });
    }
    go(`/visit/${id}`);
  }
  return (
    <>
      <Header title={t("送达告知书")} back={`/visit/${id}`} />
      <main class="notice-screen">
        <NoticeText data={data} deliveredAt={delivered && delivered.at} />
        {delivered ? (
          <p class="ok-text">
            ✓ {t("已送达")} {localDate(delivered.at)}
            {delivered.refusal ? t("（当事人拒绝签收）") : ""}
          </p>
        ) : (
          <section class="card stack">
            <div class="segmented" role="radiogroup">
              <button type="button" role="radio" aria-checked={mode === "sign"} class={mode === "sign" ? "on" : ""} onClick={() => setMode("sign")}>
                {t("当事人签收")}
              </button>
              <button
                type="button"
                role="radio"
                id="notice-mode-refuse"
                aria-checked={mode === "refuse"}
                class={mode === "refuse" ? "on" : ""}
                onClick={() => setMode("refuse")}
              >
                {t("拒绝签收")}
              </button>
            </div>
            {mode === "sign" ? (
              <>
                <label>
                  {t("签收人姓名")}
                  <input id="notice-signer" value={signer} onInput={(e) => setSigner(e.currentTarget.value)} />
                </label>
                <SignaturePad id="notice-pad" label={t("本人已收到本告知书")} onChange={setSignature} />
              </>
            ) : (
              <label>
                {t("拒签情况说明")}
                <textarea id="notice-refusal" rows={3} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
              </label>
            )}
            {error && (
              <p class="error" role="alert">
                {t(error)}
              </p>
            )}
            <button type="button" class="primary big" id="notice-save" onClick={save}>
              {t("确认送达")}
            </button>
          </section>
        )}
      </main>
    </>
  );
}
