// Chinese first; English on request (Settings). Keys are the Chinese texts themselves, so the
// code reads as the inspector sees it; missing English falls back to Chinese.
import { signal } from "./signal.js";

export const lang = signal(
  (typeof localStorage !== "undefined" && localStorage.getItem("spotcheck.lang")) || "zh",
);

export function setLang(value) {
  lang.value = value;
  if (typeof localStorage !== "undefined") localStorage.setItem("spotcheck.lang", value);
  if (typeof document !== "undefined") document.documentElement.lang = value === "en" ? "en" : "zh-CN";
}

const EN = {
  "外勤检查": "Field inspection",
  "登录": "Sign in",
  "用户名": "Username",
  "密码": "Password",
  "设备名称": "Device name",
  "首次使用需联网登录；登录后可离线工作。": "Sign in once while online; then you can work offline.",
  "正在登录…": "Signing in…",
  "我的检查": "My visits",
  "今天": "Today",
  "逾期": "Overdue",
  "即将开始": "Upcoming",
  "已完成": "Done",
  "没有分配给您的检查。": "No visits are assigned to you.",
  "截止": "Due",
  "组长": "Lead",
  "检查组": "Team",
  "事项": "Items",
  "合并检查": "Merged visit",
  "同步": "Sync",
  "设置": "Settings",
  "返回": "Back",
  "到达现场": "Arrive",
  "出示证件": "Show credential",
  "送达告知书": "Deliver notice",
  "检查表": "Checklist",
  "证据": "Evidence",
  "签字确认": "Sign-off",
  "提交": "Submit",
  "已到达": "Arrived",
  "已出示": "Shown",
  "已送达": "Delivered",
  "已提交": "Submitted",
  "待上传": "Waiting to upload",
  "上传中": "Uploading",
  "已上传": "Uploaded",
  "上传失败": "Upload failed",
  "申请回避": "Request recusal",
  "拍照": "Take photo",
  "录音": "Record audio",
  "录像": "Record video",
  "选择文件": "Pick a file",
  "暂停": "Pause",
  "继续": "Resume",
  "停止并保存": "Stop and save",
  "是": "Yes",
  "否": "No",
  "不适用": "N/A",
  "备注": "Note",
  "必填": "Required",
  "必须拍照": "Photo required",
  "当事人签名": "Party's signature",
  "当事人拒绝签字": "The party refuses to sign",
  "拒签说明": "Refusal note",
  "见证人": "Witness",
  "姓名": "Name",
  "身份证号": "Resident ID number",
  "联系方式": "Contact",
  "见证人签名": "Witness signature",
  "清除": "Clear",
  "确认提交": "Confirm and submit",
  "重试": "Retry now",
  "语言": "Language",
  "退出登录": "Sign out",
  "在线": "Online",
  "离线": "Offline",
  "待发送": "Waiting to send",
  "被拒绝": "Rejected",
  "检查发现": "Findings",
  "有新版本": "A new version is available",
  "立即更新": "Update now",
  "稍后": "Later",
};

export function t(text, params) {
  let out = lang.value === "en" ? EN[text] || text : text;
  if (params) for (const [k, v] of Object.entries(params)) out = out.replaceAll(`{${k}}`, v);
  return out;
}
