"""Output schemas of the public JSON API (no user names, no internal notes)."""

from __future__ import annotations

from marshmallow import Schema, fields

from server.items.schemas import ItemSchema


class PublicChangeSchema(Schema):
    """One entry of an item's public change history."""

    kind = fields.String(
        metadata={"description": "version（新版本）| retire（停用）| restore（恢复）"}
    )
    at = fields.DateTime(metadata={"description": "生效时间（UTC）"})
    version_no = fields.Integer(allow_none=True, metadata={"description": "版本号（仅 version）"})
    reason = fields.String(metadata={"description": "调整原因"})
    changed = fields.List(
        fields.String(), metadata={"description": "调整的字段（中文名称；首个版本为空）"}
    )


class PublicItemDetailSchema(ItemSchema):
    """An item with its public change history, newest first."""

    history = fields.List(fields.Nested(PublicChangeSchema))
