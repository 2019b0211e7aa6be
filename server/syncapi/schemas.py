"""Shapes of sync v1 "Pull" (documented in /api/v1/openapi.json; the PWA's contract).

Rows are built by server/syncapi/pull.py as plain dicts (speed); these schemas describe them.
Ids are UUID strings, dates ISO 8601 (YYYY-MM-DD), times ISO 8601 UTC.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields


class PullArgs(Schema):
    class Meta:
        unknown = EXCLUDE  # a newer app may send more; this version reads only the cursor

    cursor = fields.String(
        load_default=None,
        metadata={
            "description": "上次拉取返回的 cursor（整数）；缺省或 0 表示全量。"
            "无法识别（非整数、负数、大于当前值）或早于保留期的 cursor 返回 reset=true 与全量。",
            "example": "0",
        },
    )


class TeamMemberSchema(Schema):
    credential_no = fields.String(metadata={"description": "执法证号"})
    name = fields.String()
    is_lead = fields.Boolean(metadata={"description": "检查组组长"})
    is_me = fields.Boolean(metadata={"description": "是否为本设备的检查人员"})


class VisitSectionSchema(Schema):
    """One issued task carried by the visit (a merged visit carries several)."""

    task_id = fields.UUID()
    draw_id = fields.UUID()
    position = fields.Integer(metadata={"description": "在合并检查记录中的顺序"})
    team = fields.List(fields.Nested(TeamMemberSchema), metadata={"description": "检查组"})


class VisitRowSchema(Schema):
    id = fields.UUID()
    subject_id = fields.UUID()
    uscc = fields.String(metadata={"description": "统一社会信用代码"})
    year = fields.Integer()
    state = fields.String(metadata={"description": "planned"})
    window_start = fields.Date()
    window_end = fields.Date(metadata={"description": "截止日期"})
    sections = fields.List(fields.Nested(VisitSectionSchema))
    merged_from = fields.List(fields.UUID(), metadata={"description": "并入本检查的检查 id"})
    i_am_lead = fields.Boolean(metadata={"description": "本人是否为组长"})
    credential_url = fields.String(
        allow_none=True,
        metadata={
            "description": "电子执法证二维码内容：<PUBLIC_BASE_URL>/c/<签名令牌>。"
            "扫码打开公开核验页，显示证件是否有效、本人是否为本检查的检查组成员、今天是否在检查时间内。"
            "令牌有效至检查截止日期次日；离线出示即可，无需联网生成"
        },
    )


class PullDepartmentSchema(Schema):
    id = fields.UUID()
    name = fields.String()


class TaskRowSchema(Schema):
    id = fields.UUID()
    number = fields.String(allow_none=True, metadata={"description": "任务编号"})
    name = fields.String()
    year = fields.Integer()
    state = fields.String(metadata={"description": "issued | in_progress | completed"})
    department = fields.Nested(PullDepartmentSchema)
    window_start = fields.Date()
    window_end = fields.Date()
    methods = fields.List(fields.String(), metadata={"description": "检查方式代码"})
    workflow_notes = fields.String(allow_none=True, metadata={"description": "工作流程"})
    materials = fields.String(allow_none=True, metadata={"description": "所需材料"})
    checklist_id = fields.UUID(allow_none=True, metadata={"description": "检查表（checklists）"})
    item_ids = fields.List(
        fields.UUID(), metadata={"description": "抽查事项（items 中的事项版本 id），按顺序"}
    )


class ItemRowSchema(Schema):
    """The item version a task pinned when it was set up (what the inspector checks against)."""

    id = fields.UUID(metadata={"description": "事项版本 id"})
    item_id = fields.UUID()
    code = fields.String(metadata={"description": "事项编码"})
    version_no = fields.Integer()
    name = fields.String()
    content = fields.String(metadata={"description": "抽查内容"})
    methods = fields.List(fields.String(), metadata={"description": "检查方式代码"})
    legal_basis = fields.String(metadata={"description": "抽查依据"})
    checking_body = fields.String(metadata={"description": "检查主体"})


class SubjectRowSchema(Schema):
    id = fields.UUID()
    uscc = fields.String()
    name = fields.String()
    kind = fields.String()
    address = fields.String()
    legal_rep = fields.String(allow_none=True, metadata={"description": "法定代表人"})
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)


class ChecklistQuestionRowSchema(Schema):
    id = fields.UUID()
    position = fields.Integer()
    item_code = fields.String(allow_none=True, metadata={"description": "所属事项；空为通用"})
    text = fields.String()
    help = fields.String(allow_none=True)
    answer_type = fields.String(
        metadata={"description": "yes_no_na | text | number | date | photo_required"}
    )
    required = fields.Boolean()


class ChecklistRowSchema(Schema):
    id = fields.UUID()
    family_id = fields.UUID()
    version_no = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    questions = fields.List(fields.Nested(ChecklistQuestionRowSchema))


class BureauSchema(Schema):
    """Whom a business may call to confirm an inspection (shown on the e-credential)."""

    name = fields.String()
    contact_phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)


class CredentialRowSchema(Schema):
    """The signed-in inspector's own law-enforcement credential (shown on site)."""

    id = fields.UUID(metadata={"description": "检查人员 id"})
    name = fields.String()
    credential_no = fields.String(metadata={"description": "执法证号"})
    issuer = fields.String(metadata={"description": "发证机关"})
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date()
    department = fields.String()
    credential_url = fields.String(
        allow_none=True,
        metadata={
            "description": "执法证二维码内容（不针对具体检查）：<PUBLIC_BASE_URL>/c/<签名令牌>，"
            "有效至执法证有效期截止日"
        },
    )
    photo_url = fields.String(
        allow_none=True,
        metadata={
            "description": "证件照地址（GET，设备令牌，image/jpeg，最长边不超过 600 像素）；"
            "未上传时为 null。照片更换后凭证行会再次下发"
        },
    )
    bureau = fields.Nested(BureauSchema, allow_none=True, metadata={"description": "发证/主管单位"})


class RecordRowSchema(Schema):
    """A record of a visit in scope, by anyone on its team (a lead reads the team's records)."""

    id = fields.UUID()
    visit_id = fields.UUID()
    task_id = fields.UUID(metadata={"description": "记录所属任务（合并检查的分节）"})
    state = fields.String(
        metadata={
            "description": "draft | awaiting_media | submitted | returned（已退回补正）"
            " | approved（组长或科室已审核通过）"
        }
    )
    version = fields.Integer(metadata={"description": "版本号；更正后的记录版本加一"})
    supersedes_id = fields.UUID(allow_none=True, metadata={"description": "被本版本更正的记录"})
    correction_reason = fields.String(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    record_hash = fields.String(allow_none=True, metadata={"description": "RFC 8785 SHA-256"})
    answers = fields.Dict(metadata={"description": "草稿答案"})
    notes = fields.Dict(metadata={"description": "草稿备注"})
    record = fields.Dict(allow_none=True, metadata={"description": "已签名提交的记录内容"})
    updated_at = fields.DateTime()
    author = fields.String(metadata={"description": "提交人"})


class CommentRowSchema(Schema):
    """A review comment sent back on a record (returned: the team corrects and resubmits)."""

    id = fields.UUID()
    record_id = fields.UUID()
    visit_id = fields.UUID()
    kind = fields.String(metadata={"description": "return（退回补正）| note"})
    body = fields.String(metadata={"description": "审核意见"})
    created_at = fields.DateTime()
    author = fields.String(metadata={"description": "审核人"})


def _collection(name: str, row: type[Schema]) -> type[Schema]:
    return Schema.from_dict(
        {
            "upserts": fields.List(fields.Nested(row), metadata={"description": "新增或更新"}),
            "deletes": fields.List(fields.UUID(), metadata={"description": "应删除的 id"}),
        },
        name=name,
    )


class PullChangesSchema(Schema):
    visits = fields.Nested(_collection("VisitChanges", VisitRowSchema))
    tasks = fields.Nested(_collection("TaskChanges", TaskRowSchema))
    items = fields.Nested(_collection("ItemChanges", ItemRowSchema))
    subjects = fields.Nested(_collection("SubjectChanges", SubjectRowSchema))
    checklists = fields.Nested(_collection("ChecklistChanges", ChecklistRowSchema))
    credential = fields.Nested(_collection("CredentialChanges", CredentialRowSchema))
    records = fields.Nested(
        _collection("RecordChanges", RecordRowSchema),
        metadata={
            "description": "检查记录；检查被删除时，其记录与意见随之删除（本机未上传的除外）"
        },
    )
    comments = fields.Nested(_collection("CommentChanges", CommentRowSchema))


class PullSchema(Schema):
    cursor = fields.Integer(metadata={"description": "下次拉取时带回的变更序号"})
    reset = fields.Boolean(
        metadata={
            "description": "true：丢弃本机的服务器数据副本，按本次全量保存（不丢未上传的工作）"
        }
    )
    last_mutation_seq = fields.Integer(metadata={"description": "服务器已处理的本设备变更序号"})
    server_time = fields.DateTime(metadata={"description": "服务器时间（UTC）"})
    changes = fields.Nested(PullChangesSchema)
