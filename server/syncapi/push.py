"""Sync v1 "Push": apply a device's queued mutations exactly once, in order.

No Flask here: `push()` takes the request's Session. Per mutation it locks the device row
(SELECT … FOR UPDATE on PostgreSQL; SQLite has one writer at a time anyway), so two pushes of one
device serialise, re-reads `last_mutation_seq`, and:

- `seq ≤ last`: answers the stored result again (status `duplicate`, `result` = what it was);
- `seq = last + 1`: applies it and COMMITS, so a crash later in the batch keeps this progress
  (the phone's queue never resends what the server has, and a lock is never held for a whole
  batch);
- a gap: stops with `Gap` (409 expected_seq); what came before stays applied.

A well-formed mutation that is not allowed is `rejected` (`Rejected`, with a Chinese reason), its
writes are undone by a savepoint, and it still advances the seq so one bad mutation never jams
the queue. A mutation on a visit outside the inspector's scope (`OutOfScope`, 403) or with
malformed args (`Malformed`, 422) stops the push and writes nothing for it: those are not
mistakes an inspector can act on, so the seq does not move and the phone parks the item.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable

from marshmallow import ValidationError
from sqlalchemy import select, tuple_, update
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session

from server.audit.operations import Actor, jsonable, record
from server.auth.models import Device
from server.directory.models import Inspector
from server.draws.models import Draw, DrawAssignment
from server.draws.operations import DrawError
from server.draws.replacement_models import APPROVED as REPLACEMENT_APPROVED
from server.draws.replacement_models import RECUSAL, ReplacementRequest
from server.draws.replacements import request_replacement
from server.i18n import N_
from server.orm import utcnow
from server.syncapi.pull import scope_visit_ids
from server.syncapi.push_schemas import ARGS_SCHEMAS
from server.tasks.models import ChecklistQuestion, Task
from server.visits.models import Visit, VisitTask
from server.visits.record_models import (
    APPLIED,
    AWAITING_MEDIA,
    DRAFT,
    REJECTED,
    SUBMITTED,
    MutationResult,
    VisitEvent,
    VisitRecord,
    fill_captured,
)
from sync.integrity import IntegrityError, record_hash, verify_signature
from sync.models import Media
from sync.uploads import verified_media

DUPLICATE = "duplicate"


class PushStop(Exception):
    """Ends the push early; `results` are those of the mutations handled before."""

    results: list


class Gap(PushStop):
    def __init__(self, expected_seq: int, results: list):
        super().__init__(expected_seq)
        self.expected_seq, self.results = expected_seq, results


class Revoked(PushStop):
    """The device was revoked while the push ran (checked under the lock, per mutation)."""

    def __init__(self, results: list):
        super().__init__("revoked")
        self.results = results


class OutOfScope(PushStop):
    def __init__(self, seq: int, results: list | None = None):
        super().__init__(seq)
        self.seq, self.results = seq, results or []


class Malformed(PushStop):
    def __init__(self, seq: int, errors: dict, results: list):
        super().__init__(seq)
        self.seq, self.errors, self.results = seq, errors, results


class Rejected(Exception):
    """Well-formed but not allowed: answered as `rejected` with {code, message}."""

    def __init__(self, code: str, message: str):
        super().__init__(code)
        self.code, self.message = code, message


MESSAGES = {
    "id_taken": N_("该编号已用于内容不同的数据"),
    "record_signed": N_("记录已签名提交，不能再修改；如需更正请提交更正记录"),
    "record_mismatch": N_("该记录属于另一检查或另一任务"),
    "not_a_section": N_("该任务不属于此次检查"),
    "record_invalid": N_("记录无法规范化（RFC 8785）"),
    "hash_mismatch": N_("记录哈希与内容不符"),
    "signature_invalid": N_("设备签名无效"),
    "media_hash_mismatch": N_("证据文件的校验值与清单不符"),
    "record_unknown": N_("找不到该记录"),
    "supersedes_invalid": N_("被更正的记录不存在、未提交、已被更正或不属于同一检查任务"),
    "media_not_in_manifest": N_("已提交的记录不能再添加证据"),
    "photo_missing": N_("检查表中须拍照的问题没有照片，记录未提交；请补拍后重新签字提交"),
    "media_taken": N_("该证据编号已属于其他人员"),
    "visit_reassigned": N_("您已不在该检查的检查组中（人员已调整）；本机记录已保留，请联系组长"),
    "visit_closed": N_("该检查已结束或已取消；本机记录已保留，请联系组长"),
    "visit_merged": N_("该检查已与其他任务合并，请在合并后的检查中填写；本机记录已保留"),
}


def _reject(code: str) -> Rejected:
    return Rejected(code, MESSAGES[code])


@dataclasses.dataclass
class Context:
    session: Session
    device: Device
    user: object
    actor: Actor
    inspector: Inspector | None
    _scope: set | None = None
    # Audit events of this mutation, written just before its commit (see `audit`).
    audits: list = dataclasses.field(default_factory=list)

    def check_visit(self, visit_id: uuid.UUID, seq: int) -> None:
        """403 unless the visit is one of this inspector's (assigned, issued, planned)."""
        if self._scope is None:
            self._scope = (
                set(self.session.scalars(scope_visit_ids(self.inspector.id)))
                if self.inspector is not None
                else set()
            )
        if visit_id not in self._scope:
            former = self._former_visit(visit_id)
            if former is not None:
                # Work done offline on a visit that has since left this inspector: refused with
                # the reason (the seq advances, the phone keeps its copy), never a jammed queue.
                raise _reject(former)
            raise OutOfScope(seq)

    def _former_visit(self, visit_id: uuid.UUID) -> str | None:
        """Why a visit this inspector was on is no longer theirs; None if it never was."""
        if self.inspector is None:
            return None
        visit = self.session.get(Visit, visit_id)
        if visit is None:
            return None
        inspector_id = self.inspector.id

        def on_team(of_visit) -> bool:
            stmt = select(DrawAssignment.inspector_id).where(
                DrawAssignment.inspector_id == inspector_id,
                tuple_(DrawAssignment.draw_id, DrawAssignment.subject_id).in_(
                    select(VisitTask.draw_id, VisitTask.subject_id).where(
                        VisitTask.visit_id == of_visit
                    )
                ),
            )
            return self.session.scalar(stmt.limit(1)) is not None

        if visit.merged_into_id is not None and on_team(visit.merged_into_id):
            return "visit_merged"
        if on_team(visit.id):
            return "visit_closed"  # still on the team: the visit ended or its task is over
        draws = select(VisitTask.draw_id).where(VisitTask.visit_id == visit.id)
        replaced = select(ReplacementRequest.id).where(
            ReplacementRequest.inspector_id == inspector_id,
            ReplacementRequest.state == REPLACEMENT_APPROVED,
            ReplacementRequest.draw_id.in_(draws),
        )
        if self.session.scalar(replaced.limit(1)) is not None:
            return "visit_reassigned"
        return None

    def audit(self, action: str, object_type: str, obj, details: dict | None = None) -> None:
        """Note the audit event; it is appended to the chain as the mutation's last write.

        Appending takes the chain's lock until commit, so every push of every phone waits for
        it: taken last, it is held for the append and the commit only, not for the mutation.
        """
        self.session.flush()
        self.audits.append(
            {
                "action": action,
                "object_type": object_type,
                "object_id": obj.id,
                "state": obj.audit_state(),
                "details": details,
            }
        )

    def write_audits(self) -> None:
        for event in self.audits:
            record(self.session, actor=self.actor, **event)
        self.audits.clear()


# ---------------------------------------------------------------- the loop


def push(
    session: Session,
    *,
    device_id: uuid.UUID,
    user,
    actor: Actor,
    mutations: list[dict],
    commit: Callable[[], None] | None = None,
) -> dict:
    """Apply `mutations` ([{seq, type, args}], validated envelopes) for the device.

    Returns {last_mutation_seq, results}; raises a PushStop subclass to end early. `commit`
    (default session.commit) ends each mutation's transaction.
    """
    commit = commit or session.commit
    inspector = session.scalars(select(Inspector).where(Inspector.user_id == user.id)).first()
    results: list[dict] = []
    last = 0
    for mutation in mutations:
        seq, kind = mutation["seq"], mutation["type"]
        if session.connection().dialect.name == "sqlite":
            # SQLite has no row locks (FOR UPDATE is ignored): a no-op write takes the
            # database's write lock now, so a second push of this device waits here and then
            # reads what the first committed, instead of both applying the same seq.
            session.execute(
                update(Device)
                .where(Device.id == device_id)
                .values(last_mutation_seq=Device.last_mutation_seq)
            )
        # Columns, not the entity: Device joins its user (an outer join FOR UPDATE refuses).
        locked = session.execute(
            select(Device.last_mutation_seq, Device.revoked_at)
            .where(Device.id == device_id)
            .with_for_update()
        ).one()
        if locked.revoked_at is not None:
            session.rollback()
            raise Revoked(results)
        last = locked.last_mutation_seq
        device = session.get(Device, device_id)
        if seq <= last:
            results.append(_stored(session, device_id, seq))
            continue
        if seq != last + 1:
            commit()  # nothing written; ends the transaction that holds the lock
            raise Gap(last + 1, results)
        try:
            args = ARGS_SCHEMAS[kind]().load(mutation["args"])
        except ValidationError as invalid:
            session.rollback()
            raise Malformed(seq, invalid.normalized_messages(), results) from None
        context = Context(session, device, user, actor, inspector)
        status, error = APPLIED, None
        try:
            _apply(context, kind, seq, args)
        except Rejected as refused:
            status, error = REJECTED, {"code": refused.code, "message": refused.message}
        except OutOfScope as outside:
            session.rollback()
            outside.results = results
            raise
        session.add(
            MutationResult(device_id=device_id, seq=seq, type=kind, status=status, error=error)
        )
        device.last_mutation_seq = last = seq
        session.flush()
        context.write_audits()
        if status == REJECTED:
            # Applied mutations audit their own write; a refusal is recorded too (the PWA shows
            # it to the inspector, the console may need to explain it).
            session.flush()
            record(
                session,
                actor=actor,
                action="sync.reject",
                object_type="device",
                object_id=device_id,
                details={"seq": seq, "type": kind, **error},
            )
        commit()
        results.append({"seq": seq, "status": status, "error": error})
    if not mutations:
        last = session.scalar(select(Device.last_mutation_seq).where(Device.id == device_id))
    return {"last_mutation_seq": last, "results": results}


def _apply(context: Context, kind: str, seq: int, args: dict) -> None:
    """Apply in a savepoint (a rejection undoes its writes). Another device of the team may
    create the same client id at the same moment: the insert then waits for that commit and
    fails on the primary key, and applying once more sees the row (same content: a no-op)."""
    for attempt in (1, 2):
        context.audits.clear()  # what a rolled-back attempt noted never happened
        try:
            with context.session.begin_nested():
                APPLY[kind](context, seq, args)
            return
        except DBIntegrityError:
            if attempt == 2:
                raise
        except Rejected:
            context.audits.clear()
            raise


def _stored(session: Session, device_id, seq: int) -> dict:
    stored = session.scalars(
        select(MutationResult).where(
            MutationResult.device_id == device_id, MutationResult.seq == seq
        )
    ).first()
    if stored is None:  # a seq consumed before results were kept: it was applied
        return {"seq": seq, "status": DUPLICATE, "result": APPLIED, "error": None}
    return {"seq": seq, "status": DUPLICATE, "result": stored.status, "error": stored.error}


# ---------------------------------------------------------------- visit events


def _event_payload(args: dict) -> dict:
    payload = {}
    for key in ("signature", "refusal"):
        if args.get(key) is not None:
            payload[key] = args[key]
    return payload


def _event(kind: str):
    def apply(ctx: Context, seq: int, args: dict) -> None:
        ctx.check_visit(args["visit_id"], seq)
        payload = _event_payload(args)
        existing = ctx.session.get(VisitEvent, args["event_id"])
        if existing is not None:
            same = (existing.visit_id, existing.kind) == (args["visit_id"], kind) and jsonable(
                [existing.at, existing.gps, existing.payload]
            ) == jsonable([args["at"], args["gps"], payload])
            if not same:
                raise _reject("id_taken")
            return  # the same event again: nothing to do
        event = VisitEvent(
            id=args["event_id"],
            visit_id=args["visit_id"],
            kind=kind,
            at=args["at"],
            gps=args["gps"],
            payload=payload,
            user_id=ctx.user.id,
            device_id=ctx.device.id,
        )
        ctx.session.add(event)
        ctx.audit(kind, "visit_event", event)

    return apply


# ---------------------------------------------------------------- records


def _check_section(ctx: Context, visit_id, task_id) -> None:
    found = ctx.session.scalar(
        select(VisitTask.id).where(VisitTask.visit_id == visit_id, VisitTask.task_id == task_id)
    )
    if found is None:
        raise _reject("not_a_section")


def _locked_record(ctx: Context, record_id) -> VisitRecord | None:
    return ctx.session.scalars(
        select(VisitRecord)
        .where(VisitRecord.id == record_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _check_existing(ctx: Context, seq: int, existing: VisitRecord, args: dict) -> None:
    ctx.check_visit(existing.visit_id, seq)  # someone else's record is someone else's visit
    if (existing.visit_id, existing.task_id) != (args["visit_id"], args["task_id"]):
        raise _reject("record_mismatch")


def save_draft(ctx: Context, seq: int, args: dict) -> None:
    ctx.check_visit(args["visit_id"], seq)
    existing = _locked_record(ctx, args["record_id"])
    if existing is None:
        _check_section(ctx, args["visit_id"], args["task_id"])
        row = VisitRecord(
            id=args["record_id"],
            visit_id=args["visit_id"],
            task_id=args["task_id"],
            user_id=ctx.user.id,
            device_id=ctx.device.id,
            state=DRAFT,
            answers=dict(args["answers"]),
            notes=dict(args["notes"]),
            attachments={},
        )
        ctx.session.add(row)
        ctx.audit("record.create", "visit_record", row, {"fields": _fields(args)})
        return
    _check_existing(ctx, seq, existing, args)
    if existing.state != DRAFT:
        raise _reject("record_signed")
    # Last writer wins per field: a teammate's phone may fill other questions of the record.
    existing.answers = {**(existing.answers or {}), **args["answers"]}
    existing.notes = {**(existing.notes or {}), **args["notes"]}
    existing.user_id, existing.device_id = ctx.user.id, ctx.device.id
    ctx.audit("record.save_draft", "visit_record", existing, {"fields": _fields(args)})


def _fields(args: dict) -> dict:
    return {"answers": sorted(args["answers"]), "notes": sorted(args["notes"])}


def submit(ctx: Context, seq: int, args: dict) -> None:
    ctx.check_visit(args["visit_id"], seq)
    existing = _locked_record(ctx, args["record_id"])
    manifest = [{"media_id": str(m["media_id"]), "sha256": m["sha256"]} for m in args["media"]]
    if existing is not None:
        _check_existing(ctx, seq, existing, args)
        if existing.state != DRAFT:
            same = (existing.record_hash, existing.device_signature, existing.media_manifest) == (
                args["record_hash"],
                args["device_signature"],
                manifest,
            )
            if same:
                return  # the same submission again
            raise _reject("record_signed")
    else:
        _check_section(ctx, args["visit_id"], args["task_id"])
    try:
        computed = record_hash(args["record"])
    except IntegrityError:
        raise _reject("record_invalid") from None
    if computed != args["record_hash"]:
        raise _reject("hash_mismatch")
    if not verify_signature(ctx.device.public_key, computed, args["device_signature"]):
        raise _reject("signature_invalid")
    version, supersedes = 1, args.get("supersedes_id")
    if supersedes is not None:
        version = _check_supersedes(ctx, args) + 1
    _check_required_photos(ctx, args, manifest)
    ids = [uuid.UUID(m["media_id"]) for m in manifest]
    have = verified_media(ctx.session, ids)
    for entry in manifest:
        media = have.get(uuid.UUID(entry["media_id"]))
        if media is not None and media.sha256 != entry["sha256"]:
            raise _reject("media_hash_mismatch")
    row = existing or VisitRecord(
        id=args["record_id"],
        visit_id=args["visit_id"],
        task_id=args["task_id"],
        answers={},
        notes={},
        attachments={},
    )
    row.user_id, row.device_id = ctx.user.id, ctx.device.id
    row.record = args["record"]
    row.record_hash = computed
    row.device_signature = args["device_signature"]
    row.signatures = jsonable(args["signatures"])
    row.media_manifest = manifest
    row.submitted_at = utcnow()
    row.version = version
    row.supersedes_id = supersedes
    row.correction_reason = args.get("correction_reason")
    row.state = SUBMITTED if len(have) == len(set(ids)) else AWAITING_MEDIA
    if existing is None:
        ctx.session.add(row)
    ctx.audit("record.submit", "visit_record", row)


def _check_required_photos(ctx: Context, args: dict, manifest: list[dict]) -> None:
    """Every "须拍照" question of the task's checklist has a photo, as the phone's sign-off
    demands (pwa/src/ui/visitdata.js missingFor): checked here too, so a record from an old
    app version or any other client cannot be signed off without the photos.

    A photo counts when the signed record lists it (`record.media[]`, kind "photo",
    `question_id` of the question) and the manifest carries it, so it will be uploaded and
    verified. A question the record answers "na" (不适用) needs none.
    """
    task = ctx.session.get(Task, args["task_id"])
    if task is None or task.checklist_template_id is None:
        return
    questions = ctx.session.execute(
        select(ChecklistQuestion.id, ChecklistQuestion.text)
        .where(
            ChecklistQuestion.template_id == task.checklist_template_id,
            ChecklistQuestion.answer_type == "photo_required",
        )
        .order_by(ChecklistQuestion.position)
    ).all()
    if not questions:
        return
    record = args["record"]
    answers = record.get("answers")
    answers = answers if isinstance(answers, dict) else {}
    entries = record.get("media")
    entries = entries if isinstance(entries, list) else []
    carried = {m["media_id"] for m in manifest}
    photographed = {
        str(entry.get("question_id"))
        for entry in entries
        if isinstance(entry, dict)
        and entry.get("kind") == "photo"
        and str(entry.get("media_id")) in carried
    }
    missing = [
        text
        for question_id, text in questions
        if str(question_id) not in photographed and answers.get(str(question_id)) != "na"
    ]
    if missing:
        raise Rejected("photo_missing", f"{MESSAGES['photo_missing']}：{'、'.join(missing)}")


def _check_supersedes(ctx: Context, args: dict) -> int:
    old = ctx.session.get(VisitRecord, args["supersedes_id"])
    taken = ctx.session.scalar(
        select(VisitRecord.id).where(VisitRecord.supersedes_id == args["supersedes_id"])
    )
    if (
        old is None
        or old.state == DRAFT
        or taken is not None
        or (old.visit_id, old.task_id) != (args["visit_id"], args["task_id"])
    ):
        raise _reject("supersedes_invalid")
    return old.version


# ---------------------------------------------------------------- media and recusal


def attach(ctx: Context, seq: int, args: dict) -> None:
    row = _locked_record(ctx, args["record_id"])
    if row is None:
        raise _reject("record_unknown")
    ctx.check_visit(row.visit_id, seq)
    key = str(args["media_id"])
    declared = jsonable(
        {k: args[k] for k in ("kind", "sha256", "size", "mime", "captured_at", "gps")}
    )
    attachments = dict(row.attachments or {})
    if key in attachments:
        if attachments[key] != declared:
            raise _reject("id_taken")
        return  # the same declaration again
    if row.state != DRAFT and key not in {m["media_id"] for m in row.media_manifest or []}:
        raise _reject("media_not_in_manifest")
    media = ctx.session.get(Media, args["media_id"])
    if media is not None:
        if media.user_id != ctx.user.id and media.record_id != row.id:
            raise _reject("media_taken")
        if media.sha256 != args["sha256"]:
            raise _reject("media_hash_mismatch")
        fill_captured(media, declared)
        media.record_id = media.record_id or row.id
    attachments[key] = declared
    row.attachments = attachments
    ctx.audit("record.attach_media", "visit_record", row, {"media_id": key, **declared})


def recusal(ctx: Context, seq: int, args: dict) -> None:
    ctx.check_visit(args["visit_id"], seq)
    link = ctx.session.scalars(
        select(VisitTask).where(
            VisitTask.visit_id == args["visit_id"], VisitTask.task_id == args["task_id"]
        )
    ).first()
    if link is None:
        raise _reject("not_a_section")
    visit = ctx.session.get(Visit, args["visit_id"])
    try:
        # request_replacement audits its own write.
        request_replacement(
            ctx.session,
            actor=ctx.actor,
            user=ctx.user,
            draw=ctx.session.get(Draw, link.draw_id),
            uscc=visit.uscc,
            credential_no=ctx.inspector.credential_no,
            mode=args["mode"],
            reason=RECUSAL,
            explanation=args["explanation"],
            conflict_kind=args["conflict_kind"],
        )
    except DrawError as refused:
        raise Rejected("recusal_refused", str(refused)) from None


APPLY = {
    "visit.start": _event("visit.start"),
    "credential.shown": _event("credential.shown"),
    "notice.delivered": _event("notice.delivered"),
    "record.save_draft": save_draft,
    "record.submit": submit,
    "media.attach": attach,
    "recusal.request": recusal,
}
