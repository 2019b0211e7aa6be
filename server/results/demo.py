"""Demo of a finished task for `seed-demo`: field work done, evidence reviewed, results entered,
approved and the task completed — every step through the real operations.

商贸流通科 ran a task a month ago (a four-week window) on single-purpose prepaid
card issuers; its pool is three inspectors, two with accounts (lead1, inspector1), so every team
has one of them. That one's phone (a device with its own P-256 key, made here) pushed each visit's
events and the signed record through sync v1 exactly as the field app does, with one photo per
record uploaded through the tus path; the head approved the evidence; office2 entered the results
— some with problems found and follow-up measures (one to be transferred), one record signed by a
witness after the party refused — and head1 approved them and completed the task.

Publication, objections and follow-ups build on this task (their own demo modules). Idempotent:
a task of that name and year is left alone.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import hashlib
import io
import uuid
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.operations import Actor
from server.auth.bearer import new_token
from server.auth.models import Device, User
from server.clock import local_today
from server.directory.models import Inspector
from server.draws import operations as draw_ops
from server.draws.demo import _designate_leads
from server.items.models import Item
from server.results import operations
from server.results.schemas import SheetArgs
from server.syncapi.push import push
from server.tasks import operations as task_ops
from server.tasks.demo import _task_form
from server.tasks.models import ChecklistTemplate, Task
from server.tasks.schemas import TaskArgs
from server.visits import review
from server.visits.models import Visit, VisitTask
from server.visits.record_models import VisitRecord
from sync.integrity import record_hash

COMPLETED_TASK = "单用途商业预付卡资金存管专项抽查"
CHECKLIST = "单用途商业预付卡发卡企业检查表"
WITNESS = "3 1 4 1 5 9 / 刘建国 监督员陈静"
SHANGHAI = ZoneInfo("Asia/Shanghai")
REFUSED_AT = 3

# Per visit: result codes, follow-ups, note, findings; at the fourth the party refused to sign.
OUTCOMES = [
    (["no_problem"], [{"code": "none"}], None, "各项检查内容符合规定。"),
    (
        ["corrected"],
        [{"code": "rectify", "status": "open", "closed_on": None}],
        "购卡章程未在经营场所显著位置公示，已责令十五日内整改。",
        "购卡章程未公示；其余符合规定。",
    ),
    (
        ["pending"],
        [{"code": "notify_other", "status": "open", "closed_on": None}],
        "预收资金余额与存管账户不符，线索抄告人民银行威海市分行。",
        "预收资金余额与资金存管账户余额不一致。",
    ),
    (
        ["no_problem"],
        [{"code": "none"}],
        None,
        "各项检查内容符合规定；当事人拒绝签字，见证人在场。",
    ),
]


def seed_completed_task(session: Session, actor: Actor) -> collections.Counter:
    """A completed task of 商贸流通科 with reviewed evidence and approved results."""
    created: collections.Counter = collections.Counter()
    users = {u.username: u for u in session.scalars(select(User))}
    item = session.scalars(select(Item).where(Item.code == "SWJ-001")).first()
    template = session.scalars(
        select(ChecklistTemplate).where(
            ChecklistTemplate.name == CHECKLIST, ChecklistTemplate.is_current.is_(True)
        )
    ).first()
    if item is None or template is None or not {"head1", "lead1", "office2"} <= set(users):
        return created
    start, end = _window(local_today())
    if session.scalars(
        select(Task).where(Task.name == COMPLETED_TASK, Task.year == end.year)
    ).first():
        return created
    head = users["head1"]
    form = _task_form(
        session,
        item,
        template,
        end.year,
        name=COMPLETED_TASK,
        window_start=start.isoformat(),
        window_end=end.isoformat(),
        sample_kind="count",
        sample_count=str(len(OUTCOMES)),
        # The prepaid-card specialists and inspector1 (dry cleaning): three inspectors, two with
        # accounts, so every team of two has someone whose phone did the visit — whatever the
        # draw picked and whichever registered conflict it had to avoid.
        pool_mode="manual",
        pool_expertise="单用途商业预付卡，洗染",
    )
    task = task_ops.create_task(session, actor=actor, user=head, data=TaskArgs().load(form))
    task_ops.transition(session, task, "submit", actor=actor, user=head)
    task_ops.transition(session, task, "approve", actor=actor, user=head, comment="同意")
    draw = draw_ops.announce_draw(session, actor=actor, task=task, user=head)
    draw_ops.draw_objects(session, actor=actor, draw=draw, witness_input=WITNESS, user=head)
    _designate_leads(session, actor, draw, head, users["lead1"])
    draw_ops.issue_task(session, actor=actor, draw=draw, user=head)
    created["tasks"] += 1

    phones = {
        name: _Phone(session, users[name], actor)
        for name in ("lead1", "inspector1")
        if name in users
    }
    inspector_users = {
        row.credential_no: row.username
        for row in session.execute(
            select(Inspector.credential_no, User.username).join(User, User.id == Inspector.user_id)
        )
    }
    visit_ids = list(
        session.scalars(
            select(VisitTask.visit_id)
            .where(VisitTask.task_id == task.id)
            .order_by(VisitTask.position, VisitTask.visit_id)
        )
    )
    day = start
    for index, (visit_id, outcome) in enumerate(zip(visit_ids, OUTCOMES, strict=False)):
        results, followups, note, findings = outcome
        visit = session.get(Visit, visit_id)
        refused = index == REFUSED_AT
        team = [a.credential_no for a, _name in _team(session, draw, visit)]
        phone = next(phones[inspector_users[c]] for c in team if inspector_users.get(c) in phones)
        row = phone.visit(task, draw, template, visit, day, findings, refused=refused)
        review.approve(session, actor, head, row, "证据齐全，同意")
        line = {"result_codes": results, "method_codes": ["onsite"], "followups": followups}
        if note:
            line["note"] = note
        data = SheetArgs().load(
            {"lines": [{"item_id": str(ti.item_id), **line} for ti in task.items]}
        )
        office = users["office2"]
        sheet = operations.save(
            session, actor=actor, user=office, visit=visit, task=task, data=data
        )
        operations.submit(session, actor=actor, user=office, sheet=sheet)
        operations.approve(session, actor=actor, user=head, sheet=sheet, comment=None)
        created["visits done"] += 1
        day += dt.timedelta(days=3)
    operations.complete_task(
        session, actor=actor, user=head, task=task, today=end + dt.timedelta(days=2)
    )
    session.flush()
    return created


def finished_task(session: Session) -> Task | None:
    """The demo's finished task (the newest of that name), or None before it is seeded."""
    return session.scalars(
        select(Task)
        .where(Task.name == COMPLETED_TASK, Task.state == "completed")
        .order_by(Task.year.desc())
    ).first()


def _window(today: dt.date) -> tuple[dt.date, dt.date]:
    """Four weeks ending a month ago, inside one calendar year."""
    end = today - dt.timedelta(days=30)
    start = max(end - dt.timedelta(days=27), dt.date(end.year, 1, 1))
    return start, end


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signature_png(text: str) -> str:
    """A small handwritten-looking stroke image, as signature_pad exports it (a data URL)."""
    image = Image.new("RGBA", (240, 80), (255, 255, 255, 0))
    pen = ImageDraw.Draw(image)
    seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
    points = [(10 + i * 22, 40 + ((seed >> i) % 7 - 3) * 6) for i in range(10)]
    pen.line(points, fill=(20, 20, 80, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _photo(label: str) -> bytes:
    """The photo of the posted card rules a camera would have taken (a JPEG of a sign)."""
    image = Image.new("RGB", (1024, 768), (236, 232, 220))
    pen = ImageDraw.Draw(image)
    pen.rectangle((160, 120, 864, 648), outline=(120, 30, 30), width=12)
    for row in range(8):
        pen.line((220, 200 + row * 52, 800, 200 + row * 52), fill=(60, 60, 60), width=6)
    pen.text((230, 150), label.encode("ascii", "ignore").decode() or "notice", fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class _Phone:
    """An inspector's phone: a registered device pushing through the sync v1 push operation."""

    def __init__(self, session: Session, user: User, actor: Actor):
        # The audit trail names the CLI (the seeder did it), like every other seeded write.
        self.session, self.user, self.actor = session, user, actor
        self.key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.key.public_key().public_numbers()
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }
        _, digest = new_token()  # the demo phone never signs in again: its token is discarded
        self.device = Device(
            user_id=user.id,
            name=f"演示手机（{user.display_name}）",
            public_key=jwk,
            token_hash=digest,
        )
        session.add(self.device)
        session.flush()
        self.seq = 0

    def _push(self, *mutations: tuple[str, dict]) -> None:
        batch = []
        for kind, args in mutations:
            self.seq += 1
            batch.append({"seq": self.seq, "type": kind, "args": args})
        answer = push(
            self.session,
            device_id=self.device.id,
            user=self.user,
            actor=self.actor,
            mutations=batch,
            commit=self.session.flush,  # the seed is one transaction
        )
        refused = [r for r in answer["results"] if r["status"] != "applied"]
        if refused:
            raise RuntimeError(f"demo push refused: {refused}")

    def _sign(self, hash_hex: str) -> str:
        der = self.key.sign(bytes.fromhex(hash_hex), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def _upload_photo(self, media_id: uuid.UUID, record_id: uuid.UUID, data: bytes) -> str:
        """The photo through the tus path (create + one append), verified and stored."""
        from server.uploads.views import settings, storage
        from sync import uploads as tus

        digest = hashlib.sha256(data).hexdigest()
        actor = self.actor
        created = tus.create(
            self.session,
            user_id=self.user.id,
            device_id=self.device.id,
            actor=actor,
            length=len(data),
            metadata={
                "media_id": str(media_id),
                "record_id": str(record_id),
                "sha256": digest,
                "content_type": "image/jpeg",
                "filename": "photo.jpg",
            },
            settings=settings(),
        )
        tus.append(
            self.session,
            created.upload,
            offset=0,
            body=io.BytesIO(data),
            content_length=len(data),
            actor=actor,
            settings=settings(),
            storage=storage(),
        )
        return digest

    def visit(self, task, draw, template, visit, day, findings, *, refused: bool) -> VisitRecord:
        """Arrive, show the credential, deliver the notice, fill the checklist, photo, sign."""
        at = dt.datetime.combine(day, dt.time(9, 30), SHANGHAI)
        gps = {"lat": 37.44, "lng": 122.16, "accuracy": 12.0}
        signature = {"image": _signature_png(visit.uscc), "points": [[[10, 40, 0], [200, 44, 120]]]}
        visit_id = str(visit.id)
        self._push(
            (
                "visit.start",
                {
                    "event_id": str(uuid.uuid4()),
                    "visit_id": visit_id,
                    "at": at.isoformat(),
                    "gps": gps,
                },
            ),
            (
                "credential.shown",
                {
                    "event_id": str(uuid.uuid4()),
                    "visit_id": visit_id,
                    "at": (at + dt.timedelta(minutes=1)).isoformat(),
                },
            ),
            (
                "notice.delivered",
                {
                    "event_id": str(uuid.uuid4()),
                    "visit_id": visit_id,
                    "at": (at + dt.timedelta(minutes=3)).isoformat(),
                    "signature": {**signature, "signer": "法定代表人"},
                },
            ),
        )
        record_id, media_id = uuid.uuid4(), uuid.uuid4()
        questions = sorted(template.questions, key=lambda q: q.position)
        answers = {}
        for question in questions:
            answers[str(question.id)] = {
                "yes_no_na": "yes",
                "number": 12.5,
                "date": day.isoformat(),
                "text": "无",
            }.get(question.answer_type)
        answers = {k: v for k, v in answers.items() if v is not None}
        # The photo answers the checklist's "须拍照" question, as the phone's camera button on
        # that question does: without it the server refuses the record (push.py photo_missing).
        photo_question = next(
            (str(q.id) for q in questions if q.answer_type == "photo_required"), None
        )
        photo = _photo(visit.uscc)
        digest = self._upload_photo(media_id, record_id, photo)
        captured = at + dt.timedelta(minutes=20)
        finished = at + dt.timedelta(minutes=55)
        self._push(
            (
                "record.save_draft",
                {
                    "record_id": str(record_id),
                    "visit_id": visit_id,
                    "task_id": str(task.id),
                    "answers": answers,
                    "notes": {},
                },
            ),
            (
                "media.attach",
                {
                    "media_id": str(media_id),
                    "record_id": str(record_id),
                    "kind": "photo",
                    "sha256": digest,
                    "size": len(photo),
                    "mime": "image/jpeg",
                    "captured_at": captured.isoformat(),
                    "gps": gps,
                },
            ),
        )
        team = [
            {"name": name, "credential_no": a.credential_no, "lead": a.is_team_lead}
            for a, name in _team(self.session, draw, visit)
        ]
        if refused:
            sign = {
                "refused": True,
                "note": "法定代表人对检查结果无异议，但拒绝在检查记录上签字",
                "witness": {
                    "name": "王秀兰",
                    "id_number": "11010519491231002X",
                    "contact": "13963100188",
                },
            }
            signatures = {
                "refusal": {"note": sign["note"]},
                "witness": {**signature, "signer": "王秀兰"},
            }
        else:
            sign = {"refused": False, "signer": "法定代表人"}
            signatures = {"party": {**signature, "signer": "法定代表人"}}
        record = {
            "schema": "spotcheck.record.v1",
            "record_id": str(record_id),
            "visit_id": visit_id,
            "task_id": str(task.id),
            "version": 1,
            "device_id": str(self.device.id),
            "subject": {
                "id": str(visit.subject_id),
                "uscc": visit.uscc,
                "name": visit.subject.name,
                "address": visit.subject.address or "",
            },
            "task": {"id": str(task.id), "number": task.number, "name": task.name},
            "inspectors": team,
            "started_at": at.isoformat(),
            "gps": gps,
            "credential_shown_at": (at + dt.timedelta(minutes=1)).isoformat(),
            "notice": {
                "delivered_at": (at + dt.timedelta(minutes=3)).isoformat(),
                "signed": True,
                "refusal": None,
            },
            "answers": answers,
            "notes": {},
            "findings": findings,
            "media": [
                {
                    "media_id": str(media_id),
                    "sha256": digest,
                    "kind": "photo",
                    "mime": "image/jpeg",
                    "size": len(photo),
                    "captured_at": captured.isoformat(),
                    **({"question_id": photo_question} if photo_question else {}),
                }
            ],
            "sign": sign,
            "finished_at": finished.isoformat(),
        }
        hash_hex = record_hash(record)
        self._push(
            (
                "record.submit",
                {
                    "record_id": str(record_id),
                    "visit_id": visit_id,
                    "task_id": str(task.id),
                    "record": record,
                    "record_hash": hash_hex,
                    "device_signature": self._sign(hash_hex),
                    "signatures": signatures,
                    "media": [{"media_id": str(media_id), "sha256": digest}],
                },
            )
        )
        return self.session.get(VisitRecord, record_id)


def _team(session: Session, draw, visit):
    from server.draws.models import DrawAssignment

    return session.execute(
        select(DrawAssignment, Inspector.name)
        .join(Inspector, Inspector.id == DrawAssignment.inspector_id)
        .where(DrawAssignment.draw_id == draw.id, DrawAssignment.uscc == visit.uscc)
        .order_by(DrawAssignment.position)
    ).all()
