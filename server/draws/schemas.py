"""Input and output schemas of draws (console forms, public JSON)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

_REQUIRED = {"required": "请填写此项", "null": "请填写此项"}


class WitnessArgs(Schema):
    """The witness input typed on screen by the people present (§2.1)."""

    class Meta:
        unknown = EXCLUDE

    witness_input = fields.String(
        required=True,
        validate=validate.Length(max=2000, error="见证输入最多 2000 个字"),
        error_messages=_REQUIRED,
    )


class AnnounceArgs(Schema):
    """The officer's choice of randomness source at the announcement (§1.4)."""

    class Meta:
        unknown = EXCLUDE

    source = fields.String(
        load_default="commit-reveal",
        validate=validate.OneOf(["commit-reveal", "beacon"], error="请选择随机来源"),
    )
    beacon = fields.String(load_default=None, validate=validate.Length(max=40))
    beacon_round = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, error="信标轮次应为正整数"),
        error_messages={"invalid": "信标轮次应为正整数"},
    )

    @pre_load
    def _blanks(self, data, **kwargs):
        return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}


class BeaconValueArgs(Schema):
    """A beacon round's values pasted from the beacon's site; both blank: fetch them."""

    class Meta:
        unknown = EXCLUDE

    beacon_randomness = fields.String(
        load_default="", validate=validate.Length(max=200, error="随机数最多 200 个字符")
    )
    beacon_signature = fields.String(
        load_default="", validate=validate.Length(max=600, error="签名最多 600 个字符")
    )


class LeadArgs(Schema):
    """The department head's choice of a team lead for one subject."""

    class Meta:
        unknown = EXCLUDE

    uscc = fields.String(required=True, error_messages=_REQUIRED)
    credential_no = fields.String(required=True, error_messages=_REQUIRED)


class PublicDrawSchema(Schema):
    """One draw in the public list."""

    id = fields.String(metadata={"description": "抽取编号（draw_id，UUID）"})
    task_number = fields.String(metadata={"description": "任务编号"})
    task_name = fields.String(metadata={"description": "任务名称"})
    state = fields.String(
        metadata={"description": "announced（已公告）| drawn（已抽取）| cancelled（已随任务取消）"}
    )
    announced_at = fields.String(metadata={"description": "公告时间（北京时间，ISO 8601）"})
    drawn_at = fields.String(allow_none=True, metadata={"description": "抽取时间（北京时间）"})
    n = fields.Integer(metadata={"description": "对象总数 N"})
    k = fields.Integer(metadata={"description": "抽取数量 k"})
    m = fields.Integer(metadata={"description": "备选数量 m"})
    population_root = fields.String(metadata={"description": "对象名录根哈希"})
    source = fields.String(metadata={"description": "随机来源：commit-reveal | beacon"})
    commitment = fields.String(
        allow_none=True, metadata={"description": "密钥承诺值 SHA256(S)（commit-reveal）"}
    )
    beacon = fields.String(allow_none=True, metadata={"description": "随机信标名称（beacon）"})
    beacon_round = fields.Integer(allow_none=True, metadata={"description": "信标轮次（beacon）"})
    beacon_time = fields.String(
        allow_none=True, metadata={"description": "该轮预计产生时间（北京时间，beacon）"}
    )
    cancel_reason = fields.String(
        allow_none=True, metadata={"description": "取消原因（仅 cancelled）"}
    )
    bundle_url = fields.String(metadata={"description": "抽取数据包地址"})


def _raw(description: str, **kwargs):
    return fields.Raw(metadata={"description": description}, **kwargs)


class BundleSchema(Schema):
    """The DSR-v1 bundle (protocol §4), passed through unchanged."""

    protocol = _raw("协议名称：DSR-v1")
    draw_id = _raw("抽取编号")
    task = _raw("任务编号和名称")
    announced_at = _raw("公告时间")
    drawn_at = _raw("抽取时间（抽取前为 null）", allow_none=True)
    rules = _raw("筛选条件、排除条件、比例、k、m")
    population = _raw("对象名录：n、根哈希、按 UTF-8 排序的统一社会信用代码")
    randomness = _raw(
        "随机来源：commit-reveal 为承诺值（抽取后公开密钥和见证输入）；"
        "beacon 为信标名称和轮次（抽取后公开该轮随机数和签名）"
    )
    seed = _raw("种子（抽取前为 null）", allow_none=True)
    selected = _raw("抽中的对象及排序值")
    alternates = _raw("备选对象及排序值")
    matching = _raw("人员库根哈希、每组人数、人员库、检查组")
    amendments = _raw("事后修正（人员替换等）")
