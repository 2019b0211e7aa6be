"""Shapes of sync v1 "Push" (documented in /api/v1/openapi.json; the PWA's contract).

The envelope (`PushArgs`) is checked by the endpoint; each mutation's `args` by the schema of its
type (`ARGS_SCHEMAS`), one mutation at a time, so the mutations before a malformed one stay
applied. Times are ISO 8601 with an offset; ids are client-made UUIDs.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from server.i18n import N_

MAX_MUTATIONS = 500
MAX_SIGNATURE_CHARS = 400_000  # a PNG data URL of a finger signature, with room to spare
PNG_DATA_URL = "data:image/png;base64,"
MAX_NOTE = 2000

MUTATION_TYPES = (
    "visit.start",
    "credential.shown",
    "notice.delivered",
    "record.save_draft",
    "record.submit",
    "media.attach",
    "recusal.request",
)


class Strict(Schema):
    class Meta:
        unknown = RAISE  # a typo in a field name must not pass as "not sent"


class PushGpsSchema(Strict):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy = fields.Float(load_default=None, validate=validate.Range(min=0))


def _png(value: str) -> None:
    if not value.startswith(PNG_DATA_URL) or len(value) > MAX_SIGNATURE_CHARS:
        raise ValidationError(N_("签名应为 PNG 图片（data:image/png;base64,…）"))


class PushSignatureSchema(Strict):
    """A hand signature: the PNG the phone drew and, optionally, the pen points."""

    image = fields.String(required=True, validate=_png)
    points = fields.List(
        fields.List(fields.List(fields.Float(), validate=validate.Length(2, 3))),
        load_default=None,
        metadata={"description": "笔画点 [[[x, y, t?], …], …]"},
    )
    signer = fields.String(load_default=None, validate=validate.Length(max=100))


class PushRefusalSchema(Strict):
    note = fields.String(required=True, validate=validate.Length(1, MAX_NOTE))


class PushEventArgs(Strict):
    """visit.start / credential.shown: when and where."""

    event_id = fields.UUID(required=True, metadata={"description": "客户端生成的事件 id"})
    visit_id = fields.UUID(required=True)
    at = fields.AwareDateTime(required=True, metadata={"description": "手机记录的时间"})
    gps = fields.Nested(PushGpsSchema, load_default=None)


class PushNoticeDeliveredArgs(PushEventArgs):
    """The notice was delivered: the party signed it, or refused (with a note)."""

    signature = fields.Nested(PushSignatureSchema, load_default=None)
    refusal = fields.Nested(PushRefusalSchema, load_default=None)

    @validates_schema
    def _one_of(self, data, **kwargs):
        if (data.get("signature") is None) == (data.get("refusal") is None):
            raise ValidationError(N_("请提供当事人签名或拒签说明（二者选一）"), "signature")


class PushSaveDraftArgs(Strict):
    record_id = fields.UUID(required=True, metadata={"description": "客户端生成的记录 id"})
    visit_id = fields.UUID(required=True)
    task_id = fields.UUID(required=True, metadata={"description": "记录所属的任务（分节）"})
    answers = fields.Dict(keys=fields.String(), load_default=dict)
    notes = fields.Dict(keys=fields.String(), load_default=dict)


class PushManifestEntrySchema(Strict):
    media_id = fields.UUID(required=True)
    sha256 = fields.String(required=True, validate=validate.Regexp(r"\A[0-9a-f]{64}\Z"))


class PushSubmitSignaturesSchema(Strict):
    party = fields.Nested(PushSignatureSchema, load_default=None)
    witness = fields.Nested(PushSignatureSchema, load_default=None)
    refusal = fields.Nested(PushRefusalSchema, load_default=None)


class PushSubmitArgs(Strict):
    record_id = fields.UUID(required=True)
    visit_id = fields.UUID(required=True)
    task_id = fields.UUID(required=True)
    record = fields.Dict(
        required=True, metadata={"description": "规范化前的记录对象（RFC 8785 计算哈希）"}
    )
    record_hash = fields.String(
        required=True,
        validate=validate.Regexp(r"\A[0-9a-f]{64}\Z"),
        metadata={"description": "SHA-256（小写十六进制），见 sync/integrity.py"},
    )
    device_signature = fields.String(
        required=True,
        validate=validate.Length(max=100),
        metadata={"description": "ECDSA P-256 签名（P1363，base64url 无填充）"},
    )
    signatures = fields.Nested(PushSubmitSignaturesSchema, load_default=dict)
    media = fields.List(fields.Nested(PushManifestEntrySchema), load_default=list)
    supersedes_id = fields.UUID(load_default=None, metadata={"description": "更正的原记录 id"})
    correction_reason = fields.String(load_default=None, validate=validate.Length(1, MAX_NOTE))

    @validates_schema
    def _correction(self, data, **kwargs):
        if data.get("supersedes_id") and not data.get("correction_reason"):
            raise ValidationError(N_("更正记录须填写更正原因"), "correction_reason")


class PushMediaAttachArgs(Strict):
    media_id = fields.UUID(required=True)
    record_id = fields.UUID(required=True)
    kind = fields.String(
        required=True, validate=validate.OneOf(("photo", "audio", "video", "document"))
    )
    sha256 = fields.String(required=True, validate=validate.Regexp(r"\A[0-9a-f]{64}\Z"))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    mime = fields.String(required=True, validate=validate.Length(1, 100))
    captured_at = fields.AwareDateTime(required=True)
    gps = fields.Nested(PushGpsSchema, load_default=None)


class PushRecusalArgs(Strict):
    visit_id = fields.UUID(required=True)
    task_id = fields.UUID(required=True)
    mode = fields.String(load_default="replace", validate=validate.OneOf(("replace", "withdraw")))
    explanation = fields.String(required=True, validate=validate.Length(1, MAX_NOTE))
    conflict_kind = fields.String(load_default=None)


ARGS_SCHEMAS = {
    "visit.start": PushEventArgs,
    "credential.shown": PushEventArgs,
    "notice.delivered": PushNoticeDeliveredArgs,
    "record.save_draft": PushSaveDraftArgs,
    "record.submit": PushSubmitArgs,
    "media.attach": PushMediaAttachArgs,
    "recusal.request": PushRecusalArgs,
}


class PushMutationSchema(Strict):
    seq = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1), metadata={"example": 1}
    )
    type = fields.String(required=True, validate=validate.OneOf(MUTATION_TYPES))
    args = fields.Dict(
        required=True,
        metadata={
            "description": "按 type 的参数：见 components.schemas（"
            + ", ".join(f"{t} → {s.__name__}" for t, s in ARGS_SCHEMAS.items())
            + "）"
        },
    )


class PushArgs(Strict):
    device_id = fields.UUID(required=True, metadata={"description": "本设备 id（与令牌一致）"})
    mutations = fields.List(
        fields.Nested(PushMutationSchema),
        required=True,
        validate=validate.Length(max=MAX_MUTATIONS),
        metadata={"description": "按 seq 升序"},
    )


class PushErrorSchema(Schema):
    code = fields.String(metadata={"description": "机器可读的原因"})
    message = fields.String(metadata={"description": "给检查人员看的中文说明"})


class PushResultSchema(Schema):
    seq = fields.Integer()
    status = fields.String(metadata={"description": "applied / rejected / duplicate"})
    result = fields.String(
        metadata={"description": "仅 duplicate：该变更当初的结果（applied / rejected）"}
    )
    error = fields.Nested(PushErrorSchema, allow_none=True)


class PushSchema(Schema):
    last_mutation_seq = fields.Integer()
    results = fields.List(fields.Nested(PushResultSchema))
