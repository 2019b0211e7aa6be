import { useEffect, useState } from "preact/hooks";
import { renderSVG } from "uqr";
import { db, getMeta } from "../lib/db.js";
import { formatDay, t } from "../lib/i18n.js";
import { credentialShown } from "../lib/work.js";
import { Data, Header, localDate, today } from "./common.jsx";
import { useLive } from "./hooks.js";
import { hasEvent, loadVisit } from "./visitdata.js";

// The photo is fetched once while online and kept on the phone for offline use.
export async function cachePhoto(credential) {
  if (!credential || !credential.photo_url) return null;
  const cached = await db.blobs.get("credential-photo");
  if (cached && cached.url === credential.photo_url) return cached;
  try {
    const token = await getMeta("token");
    const response = await fetch(credential.photo_url, { headers: { Authorization: `Bearer ${token}` } });
    const type = response.headers.get("Content-Type") || "";
    if (!response.ok || !type.startsWith("image/")) return cached || null;
    const row = { id: "credential-photo", url: credential.photo_url, mime: type, bytes: await response.arrayBuffer() };
    await db.blobs.put(row);
    return row;
  } catch {
    return cached || null;
  }
}

function usePhoto(credential) {
  const [url, setUrl] = useState(null);
  useEffect(() => {
    let objectUrl = null;
    cachePhoto(credential).then((row) => {
      if (row) {
        objectUrl = URL.createObjectURL(new Blob([row.bytes], { type: row.mime }));
        setUrl(objectUrl);
      }
    });
    return () => objectUrl && URL.revokeObjectURL(objectUrl);
  }, [credential && credential.photo_url]);
  return url;
}

export function qrDataUrl(text) {
  const svg = renderSVG(text, { border: 2, pixelSize: 8 });
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

export function Credential({ id }) {
  const data = useLive(() => loadVisit(id), [id], null);
  const photo = usePhoto(data && data.credential);
  if (!data || data.missing) return <Header title={t("出示证件")} back={`/visit/${id}`} />;
  const c = data.credential;
  if (!c) return <Header title={t("出示证件")} back={`/visit/${id}`} />;
  const valid = (!c.valid_from || c.valid_from <= today()) && c.valid_until >= today();
  const url = data.visit.credential_url || c.credential_url;
  const shown = data.events.find((e) => e.kind === "credential.shown");
  return (
    <div class="credential-screen">
      <Header title={t("出示证件")} back={`/visit/${id}`} />
      <main class="credential">
        <p class="issuer">
          <Data>{c.issuer}</Data>
        </p>
        <h2>{t("行政执法证")}</h2>
        <div class="cred-body">
          {photo ? <img class="photo" src={photo} alt={t("证件照片")} /> : <div class="photo placeholder">{t("照片")}</div>}
          <dl>
            <dt>{t("姓名")}</dt>
            <dd class="big-name">
              <Data>{c.name}</Data>
            </dd>
            <dt>{t("证号")}</dt>
            <dd class="mono">{c.credential_no}</dd>
            <dt>{t("单位")}</dt>
            <dd>
              <Data>{c.department}</Data>
            </dd>
            <dt>{t("有效期")}</dt>
            <dd class={valid ? "" : "danger-text"}>
              {t("{from} 至 {until}", {
                from: <span class="nowrap">{formatDay(c.valid_from)}</span>,
                until: <span class="nowrap">{formatDay(c.valid_until)}</span>,
              })} {valid ? "" : t("（已失效）")}
            </dd>
          </dl>
        </div>
        {url ? (
          <figure class="qr">
            <img src={qrDataUrl(url)} alt={t("核验二维码")} />
            <figcaption>{t("扫码核验证件，并查看本人是否受派检查 {subject}", { subject: <Data>{data.subject.name}</Data> })}</figcaption>
          </figure>
        ) : (
          <p class="hint">{t("联网同步后显示核验二维码")}</p>
        )}
        {shown ? (
          <p class="ok-text">
            ✓ {t("已出示")} {localDate(shown.at)}
          </p>
        ) : (
          <button type="button" class="primary big" id="credential-shown" onClick={() => credentialShown(id)}>
            {t("已向当事人出示证件")}
          </button>
        )}
        {hasEvent(data, "credential.shown") && <p class="hint">{t("可继续送达告知书。")}</p>}
      </main>
    </div>
  );
}
