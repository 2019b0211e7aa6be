// Chinese first; English on request (Settings). Keys are the Chinese texts themselves, so the
// code reads as the inspector sees it; missing English falls back to Chinese.
import { signal } from "./signal.js";

export const lang = signal(
  (typeof localStorage !== "undefined" && localStorage.getItem("spotcheck.lang")) || "zh",
);

export function setLang(value) {
  lang.value = value;
  if (typeof localStorage !== "undefined") localStorage.setItem("spotcheck.lang", value);
  if (typeof document !== "undefined") {
    document.documentElement.lang = value === "en" ? "en" : "zh-CN";
    // The tab and the task switcher show the app's name in the chosen language too.
    document.title = value === "en" ? "Field inspection · SpotCheck" : "外勤检查 · SpotCheck";
  }
}

// ---- The visit's screens (visits, visit, credential, notice, checklist, sync, settings,
// team, recusal, sign-in) and the sync engine's messages. Punctuation keys ("、", "：", "；") are
// the list and label separators of each language.
const EN_SCREENS = {
  // separators and small patterns
  "、": ", ",
  "：": ": ",
  "；": "; ",
  "{label}：": "{label}: ",
  "{label}（{count}）": "{label} ({count})",
  "（{lead}）": " ({lead})",
  // sign-in
  "我的手机": "My phone",
  "Android 手机": "Android phone",
  "浏览器": "Browser",
  "无法连接服务器，请检查网络后重试": "Cannot reach the server. Check the network and try again.",
  // visit list and visit
  "打开检查": "Open visit",
  "该检查已不在您的任务中（可能已调整检查组）。本机未上传的内容仍会继续上传。":
    "This visit is no longer assigned to you (the team may have changed). Anything not yet uploaded from this phone will still be uploaded.",
  "法定代表人：{name}": "Legal representative: {name}",
  "联系电话：{phone}": "Phone: {phone}",
  "检查时间：{start} 至 {end}": "Inspection window: {start} to {end}",
  "审核意见": "Review comments",
  "{author}（{when}）：{body}": "{author} ({when}): {body}",
  "请更正后重新签名提交（原记录保留）。": "Please correct the record and sign and submit it again (the original is kept).",
  "组员记录": "Team records",
  // credential
  "行政执法证": "Law Enforcement Credential",
  "证件照片": "Credential photo",
  "照片": "Photo",
  "证号": "Number",
  "单位": "Department",
  "有效期": "Valid",
  "{from} 至 {until}": "{from} to {until}",
  "（已失效）": " (expired)",
  "核验二维码": "Verification QR code",
  "扫码核验证件，并查看本人是否受派检查 {subject}":
    "Scan to verify this credential and whether its holder is assigned to inspect {subject}",
  "联网同步后显示核验二维码": "The verification QR code appears after syncing online",
  "已向当事人出示证件": "Credential shown to the party",
  "可继续送达告知书。": "Next: deliver the notice.",
  // the notice (抽查告知书) and its delivery
  "实地核查": "on-site verification",
  "书面检查": "document review",
  "网络监测": "online monitoring",
  "检验检测": "inspection and testing",
  "委托专业机构": "a commissioned professional body",
  "采用其他部门检查结果": "the results of other departments' inspections",
  "抽查检查告知书": "Notice of Random Inspection",
  "{name}（统一社会信用代码：{uscc}）：": "To {name} (Unified Social Credit Code: {uscc}):",
  "根据{bases}的规定和“双随机、一公开”监管工作安排，你单位被随机抽取为检查对象。本局定于{start} 至 {end} 期间，采取{methods}方式，对你单位下列事项进行检查：":
    "Under {bases} and the “double random, one public” supervision programme, your organisation has been selected at random for inspection. Between {start} and {end}, this bureau will inspect the following matters of your organisation by {methods}:",
  "有关法律法规": "the applicable laws and regulations",
  "{name}：{content}": "{name}: {content}",
  "请准备以下材料：{materials}": "Please have the following materials ready: {materials}",
  "检查人员：": "Inspectors: ",
  "{name}（执法证号 {number}）": "{name} (law enforcement credential no. {number})",
  "你单位认为检查人员与你单位有直接利害关系或者其他关系、可能影响公正检查的，有权申请其回避。对检查结果有异议的，可以自结果公示之日起依法提出异议，也可以依法申请行政复议或者提起行政诉讼。":
    "If your organisation considers that an inspector has a direct interest in, or another relationship with, your organisation that could affect the fairness of the inspection, you have the right to request that inspector's recusal. If you disagree with the result, you may raise an objection in accordance with the law from the day the result is published, or apply for administrative reconsideration or bring an administrative lawsuit in accordance with the law.",
  "请予以配合。拒绝、阻碍检查的，将依法处理，并将“不配合检查情节严重”的检查结果向社会公示。":
    "Please cooperate. Refusing or obstructing the inspection will be dealt with in accordance with the law, and the result “seriously uncooperative with the inspection” will be published.",
  "地址：{address}": "Address: {address}",
  "请当事人在签名框内签名": "Ask the party to sign in the signature box",
  "请填写签收人姓名": "Enter the name of the person receiving the notice",
  "请写明拒绝签收的情况": "Describe how the party refused to sign for the notice",
  "（当事人拒绝签收）": " (the party refused to sign for it)",
  "当事人签收": "Party signs for it",
  "拒绝签收": "Refuses to sign",
  "签收人姓名": "Name of the person receiving it",
  "本人已收到本告知书": "I have received this notice",
  "拒签情况说明": "What happened (refusal to sign)",
  "确认送达": "Confirm delivery",
  // checklist
  "第 {version} 版已签名，不能再修改。": "Version {version} is signed and can no longer be changed.",
  "更正（生成新版本）": "Correct (makes a new version)",
  "检查发现（{code}）": "Findings ({code})",
  "检查情况小结": "Summary of the inspection",
  "还有 {count} 项必填未完成": "{count} required answers still missing",
  "必填项已完成": "All required answers given",
  "已自动保存在本机": "saved on this phone automatically",
  // sync
  "检查表草稿": "Checklist draft",
  "签名提交记录": "Signed record",
  "登记证据": "Evidence registered",
  "回避申请": "Recusal request",
  "文件": "Files",
  "录音文件": "Audio recording",
  "录像文件": "Video",
  "文档": "Document",
  "同步中…": "Syncing…",
  "已全部同步": "All synced",
  "上次同步：{when}": "Last synced: {when}",
  "登录已失效，请重新登录（本机数据不会丢失）。": "Your sign-in has expired. Please sign in again (nothing on this phone is lost).",
  "上次同步失败：{reason}": "Last sync failed: {reason}",
  "（{seconds} 秒后自动重试）": " (next try in {seconds} s)",
  "知道了": "Dismiss",
  "服务器期待序号 {expected}，本机待发送从 {first} 开始":
    "The server expects item #{expected}, but this phone's queue starts at #{first}",
  "本机找不到该文件的数据": "The file's data is missing on this phone",
  "服务器校验不一致，将重新上传": "The server's check did not match; the file will be uploaded again",
  "无法连接服务器（离线或网络不稳定），将自动重试": "Cannot reach the server (offline or a poor network); will try again automatically",
  "登录已失效，请重新登录（本机数据不会丢失）": "Your sign-in has expired. Please sign in again (nothing on this phone is lost)",
  "文件校验不一致，将重新上传": "The file's check did not match; it will be uploaded again",
  "服务器暂时无法处理（{status}），将自动重试": "The server cannot handle this right now ({status}); will try again automatically",
  // settings
  "iPhone 请先在 Safari 中点“分享”→“添加到主屏幕”，再从主屏幕图标打开并登录。否则 Safari 可能在 7 天后清除本机未上传的检查记录。":
    "On an iPhone, first tap “Share” → “Add to Home Screen” in Safari, then open the app from the home-screen icon and sign in. Otherwise Safari may delete inspection records not yet uploaded from this phone after 7 days.",
  "还有 {count} 项未上传。退出后这些内容仍保留在本机，重新登录后继续上传。确定退出？":
    "{count} items are not uploaded yet. They stay on this phone after you sign out and are uploaded when you sign in again. Sign out?",
  "拍照后缩小照片（最长边 1920 像素；缩小后的照片即为证据）":
    "Downscale photos after taking them (longest side 1920 pixels; the downscaled photo is the evidence)",
  "本机存储：{state}": "Storage on this phone: {state}",
  "已设为持久保存": "persistent",
  "未获持久保存授权（请添加到主屏幕）": "not granted persistent storage (add the app to the home screen)",
  // team lead's view
  "草稿": "Draft",
  "等待证据上传": "Waiting for evidence uploads",
  "已退回补正": "Returned for correction",
  "已审核通过": "Approved",
  "服务器上还没有本检查的记录（同步后显示）。": "The server holds no records of this visit yet (they appear after syncing).",
  "第 {version} 版": "version {version}",
  "小结：{findings}": "Summary: {findings}",
  "同步后更新。": "Updated when syncing.",
  // recusal
  "请写明回避理由（与检查对象的关系）": "Give the reason for recusal (your relationship with the business)",
  "与检查对象存在利害关系的，应当申请回避。申请提交后由分管领导审批，审批前请勿开展检查。":
    "If you have an interest in the business to be inspected, you must request recusal. The request is decided by the leader in charge; do not start the inspection before it is approved.",
  "任务": "Task",
  "本检查换人": "Replace me on this visit",
  "退出整个任务": "Withdraw from the whole task",
  "回避理由": "Reason for recusal",
  "提交回避申请": "Submit recusal request",
};

const EN = {
  ...EN_SCREENS,
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
  // recorder, evidence, sign-off
  "录音中": "Recording",
  "录音已暂停": "Recording paused",
  "正在保存录音": "Saving the recording",
  "正在保存录音…": "Saving the recording…",
  "录音被中断，点此保存": "Recording interrupted: tap to save it",
  "已在录音": "Already recording",
  "另一个窗口正在录音": "Another window is recording",
  "录音保存失败：{error}": "Could not store the recording: {error}",
  "录音操作失败：{error}": "Recording failed: {error}",
  "无法开始录音：{error}": "Cannot start recording: {error}",
  "手机存储空间不足 50 MB，请先上传或清理后再录音": "Less than 50 MB free on the phone: upload or free space before recording",
  "您不在本检查任何任务的检查组中，不能添加证据。": "You are not on the team of any task of this visit and cannot add evidence.",
  "本检查记录已签名提交；如需补充证据，请先在检查表中更正（生成新版本）。":
    "This record is signed and submitted; to add evidence, correct it in the checklist first (a new version).",
  "上次录音（{start} 开始）被中断，已保存 {chunks} 段，约 {time}。":
    "The last recording (started {start}) was interrupted; {chunks} parts, about {time}, are on the phone.",
  "保存已录部分并继续录音": "Save what was recorded and keep recording",
  "保存已录部分为证据": "Save what was recorded as evidence",
  "全程录音": "Full-process audio",
  "录音在切换到告知书、检查表等页面时继续，签字确认时自动停止并保存。":
    "Recording goes on while you open the notice, the checklist and other screens; sign-off stops and saves it.",
  "正在为另一检查录音，点此查看": "Recording another visit: tap to open it",
  "手机剩余可用空间约 {size}": "About {size} free on the phone",
  "照片、视频与文件": "Photos, videos and files",
  "{task}：缺少必拍照片：{questions}": "{task}: required photos missing: {questions}",
  "{task}：{n} 项必填未回答": "{task}: {n} required questions not answered",
  "去完成": "Go and complete it",
  "尚未送达告知书": "The notice has not been delivered",
  "请填写签字人姓名": "Enter the signer's name",
  "请填写拒签情况说明": "Describe the refusal",
  "请填写见证人姓名": "Enter the witness's name",
  "见证人身份证号有误（校验位不符）": "The witness's resident ID is wrong (check digit)",
  "请填写见证人联系方式": "Enter the witness's contact",
  "请填写更正原因": "Enter the reason for the correction",
  "录音未能保存，请到证据页处理：{error}": "The recording could not be saved; open Evidence: {error}",
  "请当事人签名": "The party must sign",
  "请见证人签名": "The witness must sign",
  "尚未填写检查表": "Checklist not filled in yet",
  "以下任务由其检查组签字，不在本机签名：{tasks}": "These tasks are signed by their own teams, not on this phone: {tasks}",
  "您不在本检查任何任务的检查组中。": "You are not on the team of any task of this visit.",
  "✓ 全部记录已签名提交。": "✓ Every record is signed and submitted.",
  "暂不能签字": "Cannot sign yet",
  "全程录音将在生成确认内容时停止并保存，纳入签名的记录。":
    "The full-process recording stops and is saved when the summary is made, so it is part of the signed record.",
  "签字人（法定代表人或授权人）姓名": "Signer's name (legal representative or authorised person)",
  "更正原因": "Reason for the correction",
  "证据有变化，请重新生成确认内容。": "The evidence changed: make the summary again.",
  "生成确认内容": "Make the summary to sign",
  "本人已阅读上述检查记录，确认内容属实。本签名针对以下记录摘要（SHA-256）：":
    "I have read the inspection record above and confirm it is true. This signature covers the record digests (SHA-256):",
  "当事人拒绝签字。见证人确认检查人员已当场出示证件、送达告知书并进行检查，以下记录摘要（SHA-256）：":
    "The party refuses to sign. The witness confirms the inspectors showed their credentials, delivered the notice and inspected on site; record digests (SHA-256):",
  "照片 {n} 张": "{n} photos",
  "小结：{text}": "Summary: {text}",
  "证据 {n} 件": "{n} evidence files",
};

// The text in the current language, with {name} placeholders filled from params. A value that
// is an element (a server-sent name wrapped as data, say) makes the result an array of parts to
// render as children, so data can sit inside a translated sentence and stay marked as data.
// Values are inserted as given (one pass, no `$&` patterns): a name with "$" or "{x}" in it is
// shown as it is.
export function t(text, params) {
  const out = lang.value === "en" ? EN[text] || text : text;
  if (!params) return out;
  const parts = out.split(/\{(\w+)\}/).map((part, i) =>
    i % 2 === 0 ? part : Object.prototype.hasOwnProperty.call(params, part) ? params[part] : `{${part}}`,
  );
  if (parts.some((part) => part !== null && typeof part === "object")) return parts.filter((part) => part !== "");
  return parts.join("");
}

// Dates and times as the inspector reads them: Beijing time, in the language chosen.
// Chinese keeps the numeric forms inspectors write (2026-11-27, 2026/11/27 14:03:00); English
// spells the month, so 03/04 is never read the wrong way round.
export function formatDateTime(iso) {
  if (!iso) return "—";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  if (lang.value === "en") {
    return when.toLocaleString("en-GB", {
      timeZone: "Asia/Shanghai",
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hour12: false,
    });
  }
  return when.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
}

// A calendar day ("2026-11-27", as the server sends windows and validity dates).
export function formatDay(day) {
  if (!day) return "—";
  if (lang.value !== "en" || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return day;
  return new Date(`${day}T00:00:00Z`).toLocaleDateString("en-GB", {
    timeZone: "UTC",
    day: "numeric",
    month: "short",
    year: "numeric",
  });
}
