import SignaturePadLib from "signature_pad";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../lib/i18n.js";

// A finger signature: the PNG and the pen points (x, y, time) are both kept (signature_pad).
export function SignaturePad({ label, onChange, id }) {
  const canvas = useRef(null);
  const pad = useRef(null);
  useEffect(() => {
    const element = canvas.current;
    const instance = new SignaturePadLib(element, { minWidth: 1, maxWidth: 3, penColor: "#111" });
    pad.current = instance;
    const fit = () => {
      const ratio = Math.max(window.devicePixelRatio || 1, 1);
      const data = instance.toData();
      element.width = element.offsetWidth * ratio;
      element.height = element.offsetHeight * ratio;
      element.getContext("2d").scale(ratio, ratio);
      instance.clear();
      instance.fromData(data);
    };
    fit();
    const report = () => onChange(instance.isEmpty() ? null : exportSignature(instance));
    instance.addEventListener("endStroke", report);
    window.addEventListener("resize", fit);
    return () => {
      window.removeEventListener("resize", fit);
      instance.off();
    };
  }, []);
  return (
    <div class="sigpad">
      <p class="sig-label">{label}</p>
      <canvas ref={canvas} id={id} aria-label={label} />
      <button
        type="button"
        class="link"
        onClick={() => {
          pad.current.clear();
          onChange(null);
        }}
      >
        {t("清除")}
      </button>
    </div>
  );
}

export function exportSignature(instance) {
  const points = instance
    .toData()
    .map((group) => group.points.map((p) => [Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10, p.time]));
  return { image: instance.toDataURL("image/png"), points };
}
