"""POST /api/v1/sync/push: order, idempotency, gaps, rejections, scope, signatures, media."""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
import uuid

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from server.audit.models import AuditEvent
from server.auth.bearer import new_token
from server.auth.models import Device
from server.draws.replacement_models import ReplacementRequest
from server.orm import utcnow
from server.visits.models import VisitTask
from server.visits.record_models import MutationResult, VisitEvent, VisitRecord
from sync.integrity import record_hash
from sync.models import Media
from tests.syncapi.conftest import issue
from tests.syncapi.test_pull import on_a_team, team_visits
from tests.uploads.support import Tus, png, sha256

AT = "2026-12-03T09:30:00+08:00"
GPS = {"lat": 31.23, "lng": 121.47, "accuracy": 8.0}
SIGNATURE_PNG = "data:image/png;base64," + base64.b64encode(png((20, 10))).decode()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Phone:
    """A signed-in device with its own P-256 key, pushing through the test client."""

    def __init__(self, db, client, user):
        self.key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.key.public_key().public_numbers()
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }
        self.token, digest = new_token()
        self.device = Device(user_id=user.id, name="测试手机", public_key=jwk, token_hash=digest)
        db.session.add(self.device)
        db.session.commit()
        self.device_id = str(self.device.id)
        self.client, self.user, self.seq = client, user, 0

    def sign(self, hash_hex: str) -> str:
        der = self.key.sign(bytes.fromhex(hash_hex), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def next(self, type_: str, args: dict) -> dict:
        self.seq += 1
        return {"seq": self.seq, "type": type_, "args": args}

    def push(self, mutations: list[dict], status: int = 200, device_id: str | None = None):
        response = self.client.post(
            "/api/v1/sync/push",
            json={"device_id": device_id or self.device_id, "mutations": mutations},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()


def start(visit_id, event_id=None) -> dict:
    return {"event_id": str(event_id or uuid.uuid4()), "visit_id": visit_id, "at": AT, "gps": GPS}


def draft(record_id, visit_id, task_id, answers=None, notes=None) -> dict:
    return {
        "record_id": str(record_id),
        "visit_id": visit_id,
        "task_id": task_id,
        "answers": answers or {},
        "notes": notes or {},
    }


def submission(phone, record_id, visit_id, task_id, media=(), record=None, **overrides) -> dict:
    """record.submit args: a signed record (`record`: fields changed in it before it is hashed
    and signed) and its manifest `media` [(media id, sha256)]; `overrides` replace args."""
    content = {
        "record_id": str(record_id),
        "visit_id": visit_id,
        "answers": {"q1": "yes"},
        "finished_at": AT,
        "inspector": "检查员",
    }
    content.update(record or {})
    hash_hex = record_hash(content)
    args = {
        "record_id": str(record_id),
        "visit_id": visit_id,
        "task_id": task_id,
        "record": content,
        "record_hash": hash_hex,
        "device_signature": phone.sign(hash_hex),
        "signatures": {"party": {"image": SIGNATURE_PNG, "signer": "法人0"}},
        "media": [{"media_id": str(m), "sha256": d} for m, d in media],
    }
    args.update(overrides)
    return args


@pytest.fixture
def field(db, client, scene, drawn_task):
    """An issued task; (phone of an inspector on a team, one of their visits, its task id)."""
    task = drawn_task(scene.a)
    issue(db, scene.a, task)
    inspector, user = on_a_team(db, scene)
    visit_id = sorted(team_visits(db, inspector))[0]
    return Phone(db, client, user), visit_id, str(task.id), inspector


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def last_seq(db, phone) -> int:
    db.session.expire_all()
    return db.session.get(Device, phone.device.id).last_mutation_seq


# ---------------------------------------------------------------- order and idempotency


def test_in_order_mutations_are_applied_and_audited_and_a_retry_gets_the_same_results(db, field):
    phone, visit_id, task_id, _ = field
    record_id = uuid.uuid4()
    notice = start(visit_id) | {"signature": {"image": SIGNATURE_PNG, "points": [[[1, 2, 3]]]}}
    batch = [
        phone.next("visit.start", start(visit_id)),
        phone.next("credential.shown", start(visit_id)),
        phone.next("notice.delivered", notice),
        phone.next("record.save_draft", draft(record_id, visit_id, task_id, {"q1": "yes"})),
    ]
    audit_before = count(db, AuditEvent)
    body = phone.push(batch)
    assert body == {
        "last_mutation_seq": 4,
        "results": [{"seq": n, "status": "applied", "error": None} for n in range(1, 5)],
    }
    assert count(db, AuditEvent) == audit_before + 4
    kinds = db.session.scalars(select(VisitEvent.kind).order_by(VisitEvent.kind)).all()
    assert kinds == ["credential.shown", "notice.delivered", "visit.start"]
    row = db.session.get(VisitRecord, record_id)
    assert (row.state, row.answers, str(row.visit_id)) == ("draft", {"q1": "yes"}, visit_id)

    again = phone.push(batch)
    assert again["last_mutation_seq"] == 4
    assert [(r["seq"], r["status"], r["result"]) for r in again["results"]] == [
        (n, "duplicate", "applied") for n in range(1, 5)
    ]
    assert count(db, VisitEvent) == 3 and count(db, AuditEvent) == audit_before + 4


def test_drafts_merge_per_field_last_writer_wins(db, field):
    phone, visit_id, task_id, _ = field
    record_id = uuid.uuid4()
    phone.push(
        [
            phone.next("record.save_draft", draft(record_id, visit_id, task_id, {"q1": "no"})),
            phone.next(
                "record.save_draft",
                draft(record_id, visit_id, task_id, {"q2": "yes"}, {"q1": "看过台账"}),
            ),
            phone.next("record.save_draft", draft(record_id, visit_id, task_id, {"q1": "yes"})),
        ]
    )
    db.session.expire_all()
    row = db.session.get(VisitRecord, record_id)
    assert row.answers == {"q1": "yes", "q2": "yes"} and row.notes == {"q1": "看过台账"}


def test_a_gap_answers_409_with_the_expected_seq_and_keeps_what_came_before(db, field):
    phone, visit_id, _, _ = field
    first = phone.next("visit.start", start(visit_id))
    phone.seq += 1  # seq 2 lost on the phone's side
    third = phone.next("credential.shown", start(visit_id))
    body = phone.push([first, third], status=409)
    assert body["expected_seq"] == 2 and body["results"][0]["status"] == "applied"
    assert last_seq(db, phone) == 1 and count(db, VisitEvent) == 1


def test_a_rejected_mutation_still_advances_the_sequence(db, field):
    phone, visit_id, task_id, _ = field
    event_id = uuid.uuid4()
    other_task = str(uuid.uuid4())
    body = phone.push(
        [
            phone.next("visit.start", start(visit_id, event_id)),
            # The same event id with other content: 409 semantics, rejected.
            phone.next("visit.start", start(visit_id, event_id) | {"at": "2026-12-04T10:00:00Z"}),
            # The same content again is a no-op.
            phone.next("visit.start", start(visit_id, event_id)),
            phone.next("record.save_draft", draft(uuid.uuid4(), visit_id, other_task)),
        ]
    )
    statuses = [(r["status"], (r["error"] or {}).get("code")) for r in body["results"]]
    assert statuses == [
        ("applied", None),
        ("rejected", "id_taken"),
        ("applied", None),
        ("rejected", "not_a_section"),
    ]
    assert body["results"][1]["error"]["message"] == "该编号已用于内容不同的数据"
    assert body["last_mutation_seq"] == 4 and last_seq(db, phone) == 4
    assert count(db, VisitEvent) == 1 and count(db, VisitRecord) == 0
    stored = db.session.scalars(select(MutationResult).order_by(MutationResult.seq)).all()
    assert [m.status for m in stored] == ["applied", "rejected", "applied", "rejected"]


def test_malformed_args_answer_422_and_write_nothing_from_that_mutation_on(db, field):
    phone, visit_id, _, _ = field
    body = phone.push(
        [
            phone.next("visit.start", start(visit_id)),
            phone.next("visit.start", {"visit_id": visit_id, "at": "yesterday"}),
            phone.next("credential.shown", start(visit_id)),
        ],
        status=422,
    )
    assert body["seq"] == 2 and set(body["errors"]["args"]) == {"event_id", "at"}
    assert body["message"] == "提交的数据有误"
    assert body["errors"]["args"]["event_id"] == ["必填"]
    assert last_seq(db, phone) == 1 and count(db, VisitEvent) == 1


# ---------------------------------------------------------------- authentication and scope


def test_a_token_revoked_mid_sync_gets_401_and_keeps_what_was_applied(db, field):
    phone, visit_id, _, _ = field
    phone.push([phone.next("visit.start", start(visit_id))])
    db.session.get(Device, phone.device.id).revoked_at = utcnow()
    db.session.commit()
    body = phone.push([phone.next("credential.shown", start(visit_id))], status=401)
    assert "重新登录" in body["detail"]
    assert last_seq(db, phone) == 1 and count(db, VisitEvent) == 1


def test_another_devices_id_in_the_body_is_403(db, field):
    phone, visit_id, _, _ = field
    phone.push([phone.next("visit.start", start(visit_id))], 403, device_id=str(uuid.uuid4()))
    assert last_seq(db, phone) == 0


def test_someone_elses_visit_is_403_and_nothing_is_written(db, field, scene):
    phone, visit_id, task_id, inspector = field
    mine = team_visits(db, inspector)
    others = set()
    for other in scene.inspectors:
        others |= team_visits(db, other)
    foreign = sorted(others - mine)[0]
    body = phone.push(
        [
            phone.next("visit.start", start(visit_id)),
            phone.next("record.save_draft", draft(uuid.uuid4(), foreign, task_id)),
        ],
        status=403,
    )
    assert body["seq"] == 2 and body["results"][0]["status"] == "applied"
    assert last_seq(db, phone) == 1 and count(db, VisitRecord) == 0
    assert count(db, MutationResult) == 1


def test_work_on_a_visit_taken_away_while_offline_is_refused_without_jamming_the_queue(
    db, field, scene
):
    from server.auth.operations import actor_for
    from server.draws import replacements
    from server.draws.models import Draw

    phone, visit_id, task_id, inspector = field
    mine = team_visits(db, inspector)
    # Offline, the inspector starts the visit and drafts its record …
    queued = [
        phone.next("visit.start", start(visit_id)),
        phone.next("record.save_draft", draft(uuid.uuid4(), visit_id, task_id, {"q": "yes"})),
    ]
    # … while the leader approves their recusal from that business.
    link = db.session.scalars(
        select(VisitTask).where(VisitTask.visit_id == uuid.UUID(visit_id))
    ).first()
    draw = db.session.get(Draw, link.draw_id)
    held = next(
        a
        for a in draw.assignments
        if a.inspector_id == inspector.id and a.subject_id == link.subject_id
    )
    request = replacements.request_replacement(
        db.session,
        actor=actor_for(phone.user),
        user=phone.user,
        draw=draw,
        uscc=held.uscc,
        credential_no=inspector.credential_no,
        mode="replace",
        reason="recusal",
        explanation="该企业法定代表人系本人亲属，申请回避。",
        conflict_kind="kinship",
    )
    replacements.approve_request(
        db.session, actor=actor_for(scene.leader), user=scene.leader, request=request
    )
    db.session.commit()
    assert visit_id not in team_visits(db, inspector)
    others = sorted(mine - {visit_id})
    if others:  # a visit still theirs, queued after: applied, the queue moves on
        queued.append(phone.next("visit.start", start(others[0])))
    body = phone.push(queued)
    statuses = [(r["status"], (r.get("error") or {}).get("code")) for r in body["results"]]
    assert statuses[:2] == [("rejected", "visit_reassigned")] * 2
    assert "本机记录已保留" in body["results"][0]["error"]["message"]
    if others:
        assert statuses[2] == ("applied", None)
    assert last_seq(db, phone) == len(queued)
    assert count(db, VisitRecord) == 0
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(VisitEvent)
            .where(VisitEvent.visit_id == uuid.UUID(visit_id))
        )
        == 0
    )


# ---------------------------------------------------------------- submission


def test_submit_verifies_hash_and_signature_and_then_the_record_is_immutable(db, field):
    phone, visit_id, task_id, _ = field
    record_id = uuid.uuid4()
    good = submission(phone, record_id, visit_id, task_id)
    wrong_hash = submission(phone, uuid.uuid4(), visit_id, task_id)
    wrong_hash["record"]["answers"] = {"q1": "no"}  # content changed after hashing
    stranger = Phone.__new__(Phone)
    stranger.key = ec.generate_private_key(ec.SECP256R1())
    forged = submission(phone, uuid.uuid4(), visit_id, task_id)
    forged["device_signature"] = Phone.sign(stranger, forged["record_hash"])
    body = phone.push(
        [
            phone.next("record.save_draft", draft(record_id, visit_id, task_id, {"q1": "yes"})),
            phone.next("record.submit", wrong_hash),
            phone.next("record.submit", forged),
            phone.next("record.submit", good),
            phone.next("record.save_draft", draft(record_id, visit_id, task_id, {"q1": "no"})),
            phone.next("record.submit", good),  # the same submission again: a no-op
            phone.next(
                "record.submit",
                submission(phone, record_id, visit_id, task_id, signatures={}),
            ),
        ]
    )
    codes = [(r["status"], (r["error"] or {}).get("code")) for r in body["results"]]
    assert codes == [
        ("applied", None),
        ("rejected", "hash_mismatch"),
        ("rejected", "signature_invalid"),
        ("applied", None),
        ("rejected", "record_signed"),
        ("applied", None),
        ("rejected", "record_signed"),
    ]
    db.session.expire_all()
    row = db.session.get(VisitRecord, record_id)
    assert row.state == "submitted" and row.answers == {"q1": "yes"}
    assert row.record_hash == good["record_hash"] and row.signatures["party"]["signer"] == "法人0"
    assert count(db, VisitRecord) == 1


def test_a_correction_is_a_new_record_that_supersedes_the_signed_one(db, field):
    phone, visit_id, task_id, _ = field
    first, second = uuid.uuid4(), uuid.uuid4()
    correction = submission(
        phone, second, visit_id, task_id, supersedes_id=str(first), correction_reason="笔误"
    )
    body = phone.push(
        [
            phone.next("record.submit", submission(phone, first, visit_id, task_id)),
            phone.next("record.submit", correction),
        ]
    )
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    db.session.expire_all()
    row = db.session.get(VisitRecord, second)
    assert (row.version, row.supersedes_id, row.correction_reason) == (2, first, "笔误")


def test_a_record_awaits_its_media_until_the_upload_completes(db, client, field):
    phone, visit_id, task_id, _ = field
    record_id, media_id = uuid.uuid4(), uuid.uuid4()
    data = png()
    attach = {
        "media_id": str(media_id),
        "record_id": str(record_id),
        "kind": "photo",
        "sha256": sha256(data),
        "size": len(data),
        "mime": "image/png",
        "captured_at": AT,
        "gps": GPS,
    }
    body = phone.push(
        [
            phone.next("record.save_draft", draft(record_id, visit_id, task_id)),
            phone.next("media.attach", attach),
            phone.next(
                "record.submit",
                submission(phone, record_id, visit_id, task_id, [(media_id, sha256(data))]),
            ),
        ]
    )
    assert [r["status"] for r in body["results"]] == ["applied"] * 3
    db.session.expire_all()
    assert db.session.get(VisitRecord, record_id).state == "awaiting_media"

    _, last = Tus(client, phone.token).upload(
        data, media_id=media_id, content_type="image/png", filename="a.png"
    )
    assert last.status_code == 204, last.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(VisitRecord, record_id).state == "submitted"
    media = db.session.get(Media, media_id)
    assert media.captured_at == dt.datetime.fromisoformat(AT) and media.captured_gps == GPS


# ---------------------------------------------------------------- required photos


@pytest.fixture
def photo_field(db, client, scene, drawn_task):
    """Like `field`, but the task's checklist has a "须拍照" question after a yes/no one;
    returns (phone, visit id, task id, photo question id, yes/no question id)."""
    from server.auth.operations import actor_for
    from server.tasks import operations as task_ops
    from server.tasks.models import ChecklistQuestion

    head, item_code = scene.a.head, scene.a.item.code
    template = task_ops.create_template(
        db.session,
        actor=actor_for(head),
        user=head,
        data={
            "name": "须拍照检查表",
            "description": None,
            "department_id": scene.a.department.id,
            "questions": [
                ChecklistQuestion(
                    position=0,
                    item_code=item_code,
                    text="是否建立台账？",
                    answer_type="yes_no_na",
                    required=True,
                ),
                ChecklistQuestion(
                    position=1,
                    item_code=item_code,
                    text="拍摄公示的营业执照",
                    answer_type="photo_required",
                    required=True,
                ),
            ],
        },
    )
    db.session.commit()
    task = drawn_task(scene.a, checklist_template_id=str(template.id))
    issue(db, scene.a, task)
    inspector, user = on_a_team(db, scene)
    visit_id = sorted(team_visits(db, inspector))[0]
    by_kind = {q.answer_type: str(q.id) for q in template.questions}
    return (
        Phone(db, client, user),
        visit_id,
        str(task.id),
        by_kind["photo_required"],
        by_kind["yes_no_na"],
    )


def photo_record(phone, record_id, visit_id, task_id, answers, listed, manifest) -> dict:
    """record.submit args whose signed record lists `listed` media entries (as the phone's
    buildRecord does) and whose manifest carries `manifest` [(media id, sha256)]."""
    return submission(
        phone, record_id, visit_id, task_id, media=manifest,
        record={"answers": answers, "media": listed},
    )  # fmt: skip


def entry(media_id, digest, kind="photo", question_id=None) -> dict:
    listed = {"media_id": str(media_id), "sha256": digest, "kind": kind, "captured_at": AT}
    return listed | ({"question_id": question_id} if question_id else {})


def test_a_record_without_its_required_photo_is_refused_and_nothing_is_written(db, photo_field):
    phone, visit_id, task_id, photo_q, yes_q = photo_field
    drafted, fresh, media_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    digest = "ab" * 32
    answers = {yes_q: "yes"}
    refused = [
        # Nothing photographed at all.
        photo_record(phone, drafted, visit_id, task_id, answers, [], []),
        # A photo, but of no question (taken on the evidence screen).
        photo_record(
            phone,
            drafted,
            visit_id,
            task_id,
            answers,
            [entry(media_id, digest)],
            [(media_id, digest)],
        ),
        # Named for the question but left out of the manifest: it would never be uploaded.
        photo_record(
            phone,
            drafted,
            visit_id,
            task_id,
            answers,
            [entry(media_id, digest, question_id=photo_q)],
            [],
        ),
        # A recording is not a photo.
        photo_record(
            phone,
            fresh,
            visit_id,
            task_id,
            answers,
            [entry(media_id, digest, "audio", photo_q)],
            [(media_id, digest)],
        ),
    ]
    audit_before = count(db, AuditEvent)
    body = phone.push(
        [phone.next("record.save_draft", draft(drafted, visit_id, task_id, answers))]
        + [phone.next("record.submit", args) for args in refused]
    )
    assert [(r["status"], (r["error"] or {}).get("code")) for r in body["results"]] == [
        ("applied", None)
    ] + [("rejected", "photo_missing")] * 4
    message = body["results"][1]["error"]["message"]
    assert message.startswith("检查表中须拍照的问题没有照片") and "拍摄公示的营业执照" in message
    # Still advances the queue; the draft stays a draft, the fresh record was never created.
    assert body["last_mutation_seq"] == 5 and last_seq(db, phone) == 5
    db.session.expire_all()
    row = db.session.get(VisitRecord, drafted)
    assert (row.state, row.record, row.record_hash, row.media_manifest) == (
        "draft",
        None,
        None,
        None,
    )
    assert db.session.get(VisitRecord, fresh) is None and count(db, VisitRecord) == 1
    # The draft's audit event and one sync.reject per refusal, with the code.
    rejections = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "sync.reject").order_by(AuditEvent.seq)
    ).all()
    assert count(db, AuditEvent) == audit_before + 5
    assert [e.details["code"] for e in rejections[-4:]] == ["photo_missing"] * 4


def test_a_record_with_its_required_photo_or_answered_not_applicable_is_accepted(db, photo_field):
    phone, visit_id, task_id, photo_q, yes_q = photo_field
    first, second, media_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    digest = "cd" * 32
    body = phone.push(
        [
            phone.next(
                "record.submit",
                photo_record(
                    phone,
                    first,
                    visit_id,
                    task_id,
                    {yes_q: "yes"},
                    [entry(media_id, digest, question_id=photo_q)],
                    [(media_id, digest)],
                ),
            ),
            # 不适用: the question does not apply to this business, so no photo is owed.
            phone.next(
                "record.submit",
                photo_record(
                    phone, second, visit_id, task_id, {yes_q: "yes", photo_q: "na"}, [], []
                ),
            ),
        ]
    )
    assert [r["status"] for r in body["results"]] == ["applied", "applied"], body
    db.session.expire_all()
    # The photo is still to come over tus: the record waits for it.
    assert db.session.get(VisitRecord, first).state == "awaiting_media"
    assert db.session.get(VisitRecord, second).state == "submitted"


def test_recusal_request_files_a_replacement_request(db, field):
    phone, visit_id, task_id, inspector = field
    body = phone.push(
        [
            phone.next(
                "recusal.request",
                {"visit_id": visit_id, "task_id": task_id, "explanation": "与法人为亲属"},
            )
        ]
    )
    assert body["results"][0]["status"] == "applied", body
    request = db.session.scalars(select(ReplacementRequest)).one()
    assert request.inspector_id == inspector.id and request.reason == "recusal"


# ---------------------------------------------------------------- concurrency


# PostgreSQL serialises the pushes with the device row lock. SQLite has no row locks: a concurrent
# writer may fail with "database is locked" — a server error, which the phone retries (sync v1:
# 5xx → retry) — so the clients below retry exactly like the phone; either way nothing may be
# applied twice or lost.
def test_two_devices_of_one_user_and_a_double_push_serialise(db, app, field):
    phone, visit_id, task_id, _ = field
    second = Phone(db, app.test_client(), phone.user)
    record_id = uuid.uuid4()
    batches = {
        phone: [
            phone.next("record.save_draft", draft(record_id, visit_id, task_id, {f"a{n}": n}))
            for n in range(10)
        ],
        second: [
            second.next("record.save_draft", draft(record_id, visit_id, task_id, {f"b{n}": n}))
            for n in range(10)
        ],
    }
    answers: list = []

    def run(device, batch):
        for _attempt in range(50):
            with app.app_context():
                client = app.test_client()
                try:
                    response = client.post(
                        "/api/v1/sync/push",
                        json={"device_id": device.device_id, "mutations": batch},
                        headers={"Authorization": f"Bearer {device.token}"},
                    )
                except OperationalError:  # SQLite "database is locked": a 5xx to the phone
                    time.sleep(0.05)
                    continue
            if response.status_code < 500:
                answers.append((device, response.status_code, response.get_json()))
                return
            time.sleep(0.05)
        answers.append((device, "gave up", None))

    # Each phone pushes its batch twice at once (a retry racing the first attempt).
    threads = [
        threading.Thread(target=run, args=(device, batch))
        for device, batch in batches.items()
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(status == 200 for _, status, _ in answers), answers
    for device in batches:
        seen = [r for d, _, body in answers if d is device for r in body["results"]]
        # Every seq answered (applied, or duplicate of an attempt that committed it before a
        # retry); applied at most once: one stored result per seq, the device at 10.
        applied = [r["seq"] for r in seen if r["status"] == "applied"]
        assert len(applied) == len(set(applied))
        assert {r["seq"] for r in seen} == set(range(1, 11))
        assert last_seq(db, device) == 10
    db.session.expire_all()
    row = db.session.get(VisitRecord, record_id)
    assert set(row.answers) == {f"a{n}" for n in range(10)} | {f"b{n}" for n in range(10)}
    assert count(db, MutationResult) == 20
    assert db.session.scalar(select(func.count()).select_from(VisitTask)) > 0


def test_the_push_and_every_mutations_arguments_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/sync/push"]["post"]
    assert {"200", "401", "403", "409", "422"} <= set(operation["responses"])
    assert {
        "PushEventArgs",
        "PushNoticeDeliveredArgs",
        "PushSaveDraftArgs",
        "PushSubmitArgs",
        "PushMediaAttachArgs",
        "PushRecusalArgs",
    } <= set(spec["components"]["schemas"])
