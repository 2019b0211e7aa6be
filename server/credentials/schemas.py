"""The public credential check in JSON (the same facts as the page at /c/<token>)."""

from __future__ import annotations

from marshmallow import Schema, fields

from server.credentials.models import OUTCOMES


class PublicCredentialFactsSchema(Schema):
    valid = fields.Boolean(
        metadata={"description": "证件有效且（现场检查码）本人为该检查的检查组成员、在检查时间内"}
    )
    name = fields.String(metadata={"description": "姓名"})
    credential_no = fields.String(metadata={"description": "执法证号（印于实体证件上）"})
    issuer = fields.String(metadata={"description": "发证机关"})
    department = fields.String(metadata={"description": "所属科室"})
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date()
    is_active = fields.Boolean(metadata={"description": "在岗"})
    has_photo = fields.Boolean(metadata={"description": "有证件照（见页面 /c/<token>/photo）"})


class PublicVisitTaskSchema(Schema):
    number = fields.String(allow_none=True, metadata={"description": "任务编号"})
    name = fields.String()


class PublicVisitFactsSchema(Schema):
    subject_name = fields.String(metadata={"description": "检查对象名称"})
    uscc = fields.String(metadata={"description": "统一社会信用代码"})
    window_start = fields.Date()
    window_end = fields.Date()
    state = fields.String(metadata={"description": "planned | merged | cancelled"})
    tasks = fields.List(fields.Nested(PublicVisitTaskSchema))
    on_team = fields.Boolean(metadata={"description": "该人员是否为本次检查的检查组成员"})
    in_window = fields.Boolean(metadata={"description": "今天是否在检查时间内"})


class PublicCredentialSchema(Schema):
    valid = fields.Boolean(metadata={"description": "总体结论"})
    outcome = fields.String(metadata={"description": " | ".join(OUTCOMES[:-2])})
    kind = fields.String(metadata={"description": "credential（执法证）| visit（现场检查）"})
    checked_on = fields.Date(metadata={"description": "查验日期（北京时间）"})
    token_expires_on = fields.Date(metadata={"description": "二维码有效至（含当日）"})
    credential = fields.Nested(PublicCredentialFactsSchema)
    visit = fields.Nested(PublicVisitFactsSchema, allow_none=True)
    scans = fields.Integer(metadata={"description": "本二维码被查验的次数（含本次）"})
