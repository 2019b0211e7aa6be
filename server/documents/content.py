"""What the notice (抽查告知书) and the inspection record (抽查检查记录表) say, from the tables.

Plain reads that return plain dicts for the templates (templates/documents/*.html), so the
wording of a document can be checked without rendering a PDF. The visit's sections and teams
come from server.visits.queries, as on the console. A record prints what the phone signed
(record.record) wherever that holds the fact, and the tables only where it does not.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.clock import SHANGHAI, local_today
from server.items.present import code_name
from server.items.queries import method_codes
from server.privacy import mask_id_number, mask_phone
from server.visits import queries
from server.visits.models import Visit
from server.visits.record_models import NOTICE_DELIVERED, VISIT_START, VisitEvent, VisitRecord
from sync.models import Media

# Only a PNG the phone drew goes into a document; anything else would make the PDF renderer
# fetch or parse input that is not a signature.
PNG_DATA_URL = re.compile(r"\Adata:image/png;base64,[A-Za-z0-9+/=]+\Z")
ANSWERS = {"yes": "是", "no": "否", "na": "不适用", True: "是", False: "否"}
MEDIA_KINDS = {"photo": "照片", "audio": "录音", "video": "录像", "document": "文件"}
RECORD_STATES = {
    "draft": "草稿",
    "awaiting_media": "等待证据上传",
    "submitted": "已提交",
    "returned": "已退回补正",
}


def signature_image(value) -> str | None:
    """The PNG data URL of a signature payload, or None when it is missing or not a PNG."""
    image = value.get("image") if isinstance(value, dict) else None
    return image if isinstance(image, str) and PNG_DATA_URL.match(image) else None


def local_datetime(value) -> str:
    """A stored datetime or an ISO string from the phone, in Asia/Shanghai; '' when unknown."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _local_date(value: dt.datetime) -> dt.date:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(SHANGHAI).date()


def chinese_date(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _method_names(session: Session, codes) -> list[str]:
    lookup = method_codes(session)
    seen: list[str] = []
    for code in codes:
        if code not in seen:
            seen.append(code)
    return [code_name(lookup.get(c), c) for c in seen]


def _team(sections) -> list[dict]:
    """Every inspector of the visit once (a merged visit may list one in two sections)."""
    members: dict[str, dict] = {}
    for section in sections:
        for m in section.team:
            members.setdefault(
                m.credential_no,
                {"name": m.name, "credential_no": m.credential_no, "lead": m.is_lead},
            )
            if m.is_lead:
                members[m.credential_no]["lead"] = True
    return list(members.values())


def _latest_event(session: Session, visit_id, kind: str) -> VisitEvent | None:
    stmt = (
        select(VisitEvent)
        .where(VisitEvent.visit_id == visit_id, VisitEvent.kind == kind)
        .order_by(VisitEvent.at.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def _bureau(config) -> dict:
    return {
        "name": config["BUREAU_NAME"],
        "phone": config.get("BUREAU_CONTACT_PHONE") or "",
        "address": config.get("BUREAU_ADDRESS") or "",
    }


# ---- the notice ----------------------------------------------------------------------------------


def notice(session: Session, visit: Visit, config) -> dict:
    """The notice of one visit: every task it carries, one numbered list of check items."""
    sections = queries.sections(session, visit)
    items, bases, methods, materials = [], [], [], []
    for section in sections:
        methods.extend(section.task.methods or [])
        if section.task.materials and section.task.materials not in materials:
            materials.append(section.task.materials)
        for link in section.task.items:
            version = link.item_version
            methods.extend(version.methods or [])
            basis = (version.legal_basis or "").strip()
            if basis and basis not in bases:
                bases.append(basis)
            items.append(
                {
                    "number": len(items) + 1,
                    "code": link.item.code,
                    "name": version.name,
                    "content": version.content,
                    "task_number": section.task.number or "",
                }
            )
    delivered = _latest_event(session, visit.id, NOTICE_DELIVERED)
    receipt = None
    if delivered is not None:
        payload = delivered.payload or {}
        signature = payload.get("signature") or {}
        refusal = payload.get("refusal") or {}
        receipt = {
            "at": local_datetime(delivered.at),
            "image": signature_image(signature),
            "signer": signature.get("signer") or "",
            "refusal": refusal.get("note") if isinstance(refusal, dict) else None,
        }
    # Dated the day it was handed over; before that, the day it is printed.
    issued_on = _local_date(delivered.at) if delivered else local_today()
    return {
        "visit": visit,
        "subject": visit.subject,
        "tasks": [
            {"number": s.task.number or "", "name": s.task.name, "department": s.task.department}
            for s in sections
        ],
        "legal_bases": bases,
        "items": items,
        "window": (chinese_date(visit.window_start), chinese_date(visit.window_end)),
        "methods": _method_names(session, methods),
        "materials": materials,
        "inspectors": _team(sections),
        "bureau": _bureau(config),
        "issued_on": chinese_date(issued_on),
        "receipt": receipt,
    }


# ---- the record ----------------------------------------------------------------------------------


def _answer_text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool | str) and value in ANSWERS:
        return ANSWERS[value]
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _checklist(section, content: dict) -> list[dict]:
    """One block per item (its questions, answers, notes, finding), then general questions,
    then answers whose question is not in the task's checklist (kept: they were signed)."""
    answers = content.get("answers") or {}
    notes = content.get("notes") or {}
    questions = list(section.task.checklist.questions) if section.task.checklist else []
    shown: set[str] = set()

    def rows(selected) -> list[dict]:
        out = []
        for q in selected:
            key = str(q.id)
            shown.add(key)
            out.append(
                {
                    "text": q.text,
                    "answer": _answer_text(answers.get(key)),
                    "note": notes.get(key) or "",
                }
            )
        return out

    blocks = []
    for n, link in enumerate(section.task.items, start=1):
        finding = notes.get(f"item:{link.item_version_id}") or notes.get(f"item:{link.item_id}")
        blocks.append(
            {
                "title": f"{n}. {link.item_version.name}（{link.item.code}）",
                "rows": rows([q for q in questions if q.item_code == link.item.code]),
                "finding": finding or "",
            }
        )
    codes = {link.item.code for link in section.task.items}
    general = [q for q in questions if q.item_code not in codes]
    if general:
        blocks.append({"title": "通用检查项", "rows": rows(general), "finding": ""})
    extra = [
        {"text": f"问题 {key}", "answer": _answer_text(value), "note": notes.get(key) or ""}
        for key, value in answers.items()
        if key not in shown
    ]
    if extra:
        blocks.append({"title": "其他记录的答案", "rows": extra, "finding": ""})
    return blocks


def _evidence(session: Session, row: VisitRecord, content: dict) -> list[dict]:
    manifest = row.media_manifest or []
    declared = {
        str(m.get("media_id")): m for m in content.get("media") or [] if isinstance(m, dict)
    }
    ids = []
    for entry in manifest:
        try:
            ids.append(uuid.UUID(str(entry["media_id"])))
        except (KeyError, ValueError):
            continue
    found = {}
    if ids:
        found = {
            m.media_id: m for m in session.scalars(select(Media).where(Media.media_id.in_(ids)))
        }
    out = []
    for n, entry in enumerate(manifest, start=1):
        key = str(entry.get("media_id"))
        media = found.get(uuid.UUID(key)) if key in {str(i) for i in ids} else None
        info = declared.get(key, {})
        kind = media.kind if media else info.get("kind")
        out.append(
            {
                "number": n,
                "media_id": key,
                "kind": MEDIA_KINDS.get(kind, kind or "—"),
                "mime": media.mime if media else info.get("mime") or "",
                "size": media.size if media else info.get("size"),
                "captured_at": local_datetime(
                    media.captured_at if media else info.get("captured_at")
                ),
                "sha256": entry.get("sha256") or "",
                "verified": media is not None and media.sha256 == entry.get("sha256"),
            }
        )
    return out


def _place(session: Session, row: VisitRecord, content: dict) -> dict | None:
    gps = content.get("gps")
    if not isinstance(gps, dict):
        started = _latest_event(session, row.visit_id, VISIT_START)
        gps = started.gps if started else None
    if not isinstance(gps, dict) or gps.get("lat") is None or gps.get("lng") is None:
        return None
    return {"lat": gps["lat"], "lng": gps["lng"], "accuracy": gps.get("accuracy")}


def _signatures(row: VisitRecord, content: dict) -> dict:
    signatures = row.signatures or {}
    sign = content.get("sign") if isinstance(content.get("sign"), dict) else {}
    party = signatures.get("party") or {}
    refusal = signatures.get("refusal") or {}
    witness_sig = signatures.get("witness") or {}
    witness = sign.get("witness") if isinstance(sign.get("witness"), dict) else {}
    has_witness = bool(witness or witness_sig)
    return {
        "party_image": signature_image(party),
        "party_signer": party.get("signer") or sign.get("signer") or "",
        "refusal": (refusal.get("note") if isinstance(refusal, dict) else None)
        or (sign.get("note") if sign.get("refused") else None),
        "witness": {
            "name": witness.get("name") or witness_sig.get("signer") or "",
            # The ID number is personal data: a document that leaves the file shows it masked.
            "id_number": mask_id_number(witness.get("id_number")),
            "contact": mask_phone(witness.get("contact")),
            "image": signature_image(witness_sig),
        }
        if has_witness
        else None,
    }


def record(session: Session, visit: Visit, row: VisitRecord, config, *, full_contacts: bool):
    """The inspection record of one section (task) of a visit, as submitted."""
    content = row.record if isinstance(row.record, dict) else {}
    section = next((s for s in queries.sections(session, visit) if s.task.id == row.task_id), None)
    task = section.task if section else None
    subject = visit.subject
    signed_inspectors = content.get("inspectors")
    if isinstance(signed_inspectors, list) and signed_inspectors:
        inspectors = [
            {
                "name": m.get("name") or "",
                "credential_no": m.get("credential_no") or "",
                "lead": bool(m.get("lead")),
            }
            for m in signed_inspectors
            if isinstance(m, dict)
        ]
    else:
        inspectors = _team([section]) if section else []
    supersedes = session.get(VisitRecord, row.supersedes_id) if row.supersedes_id else None
    phone = subject.contact_phone or ""
    return {
        "visit": visit,
        "row": row,
        "state": RECORD_STATES.get(row.state, row.state),
        "task": task,
        "subject": subject,
        "contact_phone": phone if full_contacts else mask_phone(phone),
        "checklist": _checklist(section, content) if section else [],
        "findings": content.get("findings") or "",
        "methods": _method_names(session, task.methods or []) if task else [],
        "inspectors": inspectors,
        "started_at": local_datetime(content.get("started_at")),
        "finished_at": local_datetime(content.get("finished_at")),
        "place": _place(session, row, content),
        "evidence": _evidence(session, row, content),
        "signatures": _signatures(row, content),
        "submitted_at": local_datetime(row.submitted_at),
        "supersedes": supersedes,
        "bureau": _bureau(config),
    }
