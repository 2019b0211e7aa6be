import { useState } from "preact/hooks";
import { t } from "../lib/i18n.js";
import { go } from "../lib/router.js";
import { requestRecusal } from "../lib/work.js";
import { kick } from "../sync/engine.js";
import { Header } from "./common.jsx";
import { useLive } from "./hooks.js";
import { loadVisit } from "./visitdata.js";

export function Recusal({ id }) {
  const data = useLive(() => loadVisit(id), [id], null);
  const [taskId, setTaskId] = useState(null);
  const [mode, setMode] = useState("replace");
  const [text, setText] = useState("");
  const [error, setError] = useState(null);
  if (!data || data.missing) return <Header title={t("申请回避")} back={`/visit/${id}`} />;
  // A merged visit carries tasks whose teams this inspector is not on; recusal is only from one's own.
  const mine = new Set(data.visit.sections.filter((s) => s.team.some((m) => m.is_me)).map((s) => s.task_id));
  const tasks = data.tasks.filter((task) => mine.has(task.id));
  const chosen = taskId || (tasks[0] && tasks[0].id);
  async function send() {
    if (!text.trim()) return setError("请写明回避理由（与检查对象的关系）"); // translated when shown
    await requestRecusal({ visitId: id, taskId: chosen, mode, explanation: text.trim() });
    kick();
    go(`/visit/${id}`);
  }
  return (
    <>
      <Header title={t("申请回避")} back={`/visit/${id}`} />
      <main class="stack">
        <p class="card">{t("与检查对象存在利害关系的，应当申请回避。申请提交后由分管领导审批，审批前请勿开展检查。")}</p>
        {tasks.length > 1 && (
          <label>
            {t("任务")}
            <select value={chosen} onChange={(e) => setTaskId(e.currentTarget.value)}>
              {tasks.map((task) => (
                <option value={task.id} key={task.id} data-value="">
                  {task.number} {task.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <div class="segmented">
          <button type="button" class={mode === "replace" ? "on" : ""} onClick={() => setMode("replace")}>
            {t("本检查换人")}
          </button>
          <button type="button" class={mode === "withdraw" ? "on" : ""} onClick={() => setMode("withdraw")}>
            {t("退出整个任务")}
          </button>
        </div>
        <label>
          {t("回避理由")}
          <textarea id="recusal-text" rows={4} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="error" role="alert">
            {t(error)}
          </p>
        )}
        <button type="button" class="primary big" id="recusal-send" onClick={send}>
          {t("提交回避申请")}
        </button>
      </main>
    </>
  );
}
