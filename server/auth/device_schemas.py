"""Schemas of the field app's device sign-in API (sync v1 "Identity").

Input errors come back as field → list of Chinese messages (server.web translates marshmallow's
own wording); the public-key field explains which JWK member is wrong.
"""

from __future__ import annotations

from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from server.auth.passwords import MAX_LENGTH as PASSWORD_MAX
from server.clock import SHANGHAI, local_today
from sync.integrity import InvalidPublicKey, normalise_public_jwk

DEVICE_NAME_MAX = 100  # Device.name


class Text(fields.String):
    """Text that may not be blank; trimmed unless `strip=False` (passwords are taken as typed)."""

    def __init__(self, *, strip: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.strip = strip

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if self.strip:
            text = text.strip()
        if not text.strip():
            raise ValidationError(_("不能为空"))
        return text


class PublicJwk(fields.Dict):
    """An ECDSA P-256 public key as a JWK (sync.integrity); loads as its four defining members."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError(_("公钥应为 JWK 对象"))
        try:
            return normalise_public_jwk(value)
        except InvalidPublicKey as invalid:
            message = _(invalid.message)
            # {"x": ["…"]} points at the member; a key with no single culprit gets a list.
            raise ValidationError(
                {invalid.member: [message]} if invalid.member else [message]
            ) from None


class DeviceSignInArgs(Schema):
    class Meta:
        unknown = EXCLUDE  # a newer app may send more; nothing else is read

    username = Text(
        required=True, validate=validate.Length(max=64), metadata={"description": "用户名"}
    )
    password = Text(
        strip=False,
        required=True,
        load_only=True,
        validate=validate.Length(max=PASSWORD_MAX),
        metadata={"description": "密码（与控制台相同，错误次数计入同一锁定规则）"},
    )
    device_name = Text(
        required=True,
        validate=validate.Length(max=DEVICE_NAME_MAX),
        metadata={"description": "设备名称，例如“张三的手机”"},
    )
    device_public_key = PublicJwk(
        required=True,
        metadata={
            "description": "设备签名公钥：ECDSA P-256 公钥 JWK（kty=EC, crv=P-256, x, y），"
            "由 WebCrypto 在手机上生成；不得包含私钥成员 d",
            "example": {"kty": "EC", "crv": "P-256", "x": "…43 chars…", "y": "…43 chars…"},
        },
    )


def _iso_local(value):
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else None


class DeviceUserInspectorSchema(Schema):
    """The inspector record linked to the account: what the app shows as the credential."""

    id = fields.UUID()
    name = fields.String()
    credential_no = fields.String(metadata={"description": "执法证号"})
    credential_issuer = fields.String(metadata={"description": "发证机关"})
    credential_valid_from = fields.Date(allow_none=True)
    credential_valid_until = fields.Date()
    credential_valid = fields.Function(
        lambda i: i.credential_valid_on(local_today()),
        metadata={"description": "今天（北京时间）执法证是否有效"},
    )
    is_active = fields.Boolean(metadata={"description": "在岗"})


class DeviceUserDepartmentSchema(Schema):
    id = fields.UUID()
    name = fields.String()


class DeviceUserSchema(Schema):
    id = fields.UUID()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String(), metadata={"description": "角色代码"})
    department = fields.Nested(DeviceUserDepartmentSchema, allow_none=True)
    inspector = fields.Nested(
        DeviceUserInspectorSchema,
        allow_none=True,
        metadata={"description": "关联的执法检查人员记录"},
    )


class DeviceSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    public_key = fields.Dict(metadata={"description": "登记的签名公钥（JWK）"})
    created_at = fields.Function(
        lambda d: _iso_local(d.created_at), metadata={"description": "登记时间（北京时间）"}
    )
    last_seen_at = fields.Function(
        lambda d: _iso_local(d.last_seen_at), metadata={"description": "最近使用（北京时间）"}
    )
    last_mutation_seq = fields.Integer(metadata={"description": "服务器已处理的最后一个变更序号"})


class DeviceSignInSchema(Schema):
    device_id = fields.UUID()
    token = fields.String(metadata={"description": "Bearer 令牌：只返回这一次，服务器只保存其哈希"})
    user = fields.Nested(DeviceUserSchema)
    server_time = fields.DateTime(metadata={"description": "服务器时间（UTC），用于校准手机时钟"})


class DeviceStatusSchema(Schema):
    device = fields.Nested(DeviceSchema)
    user = fields.Nested(DeviceUserSchema)
    server_time = fields.DateTime()
