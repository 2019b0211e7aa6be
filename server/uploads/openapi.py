"""The tus endpoints in /api/v1/openapi.json (a plain blueprint, so described by hand)."""

from __future__ import annotations

from flask.blueprints import BlueprintSetupState
from werkzeug.routing import Map, Rule

from server.extensions import api

TAG = "uploads"

_TUS = {
    "name": "Tus-Resumable",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "enum": ["1.0.0"]},
}
_OFFSET = {"name": "Upload-Offset", "in": "header", "schema": {"type": "integer"}}
_ID = {"name": "upload_id", "in": "path", "required": True, "schema": {"type": "string"}}
_ERROR = {
    "description": "Refused",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "code": {"type": "integer"},
                    "reason": {"type": "string"},
                    "message": {"type": "string"},
                },
            }
        }
    },
}
_MEDIA = {
    "type": "object",
    "properties": {
        "media_id": {"type": "string", "format": "uuid"},
        "record_id": {"type": "string", "format": "uuid", "nullable": True},
        "kind": {"type": "string", "enum": ["photo", "audio", "video", "document"]},
        "mime": {"type": "string"},
        "size": {"type": "integer"},
        "sha256": {"type": "string"},
        "verified": {"type": "boolean"},
        "verified_at": {"type": "string", "format": "date-time"},
        "has_thumbnail": {"type": "boolean"},
    },
}
_SECURITY = [{"deviceToken": []}]  # the scheme server/auth registers


def _rule(path: str) -> Rule:
    rule = Rule(path, defaults={})
    Map([rule])  # binding gives the rule its converters, which the spec plugin reads
    return rule


def document(state: BlueprintSetupState) -> None:
    """Add the upload paths to the app's spec when the blueprint is registered."""
    if api.spec is None:
        return
    api.spec.tag({"name": TAG, "description": "Resumable evidence uploads, tus 1.0"})
    api.spec.path(
        rule=_rule("/api/v1/uploads/"),
        operations={
            "options": {
                "tags": [TAG],
                "summary": "tus capabilities and per-kind limits",
                "responses": {
                    "200": {
                        "description": "Tus-Version, Tus-Extension, Tus-Max-Size headers; "
                        "limits per kind in the body"
                    }
                },
            },
            "post": {
                "tags": [TAG],
                "summary": "Create an upload (or find the one for this media_id)",
                "description": "Upload-Metadata: media_id, sha256, content_type, record_id, "
                "filename (base64 values). The same media_id again returns the existing upload "
                "(201, its Upload-Offset) or, once verified, 200 with the media.",
                "security": _SECURITY,
                "parameters": [
                    _TUS,
                    {
                        "name": "Upload-Length",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                    {
                        "name": "Upload-Metadata",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "201": {"description": "Created; Location names the upload"},
                    "400": _ERROR,
                    "200": {
                        "description": "Already verified",
                        "content": {"application/json": {"schema": _MEDIA}},
                    },
                    "401": _ERROR,
                    "403": _ERROR,
                    "409": _ERROR,
                    "412": _ERROR,
                    "413": _ERROR,
                    "415": _ERROR,
                    "422": _ERROR,
                },
            },
        },
    )
    api.spec.path(
        rule=_rule("/api/v1/uploads/<upload_id>"),
        operations={
            "head": {
                "tags": [TAG],
                "summary": "Current offset (Upload-Offset, Upload-Length)",
                "security": _SECURITY,
                "parameters": [_ID, _TUS],
                "responses": {
                    "200": {"description": "Upload-Offset; Upload-Verified-SHA256 when done"},
                    "401": {"description": "No valid device token"},
                    "403": {"description": "Not yours"},
                    "404": {"description": "Unknown or expired"},
                    "410": {"description": "Failed: POST the same media_id to start again"},
                    "412": {"description": "Tus-Resumable missing or not 1.0.0"},
                },
            },
            "patch": {
                "tags": [TAG],
                "summary": "Append bytes at Upload-Offset",
                "description": "On the last byte the size, SHA-256 and type (sniffed from the "
                "bytes) are checked; a mismatch answers 460 and the partial data is discarded.",
                "security": _SECURITY,
                "parameters": [_ID, _TUS, {**_OFFSET, "required": True}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/offset+octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                "responses": {
                    "204": {"description": "Appended; Upload-Offset is the new offset"},
                    "400": _ERROR,
                    "401": _ERROR,
                    "403": _ERROR,
                    "404": _ERROR,
                    "409": {"description": "Wrong offset; Upload-Offset is the current one"},
                    "410": _ERROR,
                    "412": _ERROR,
                    "415": _ERROR,
                    "460": {"description": "Checksum, size or type mismatch", **_ERROR},
                    "503": {"description": "Evidence storage unavailable; Retry-After", **_ERROR},
                },
            },
            "delete": {
                "tags": [TAG],
                "summary": "Terminate an unfinished upload",
                "security": _SECURITY,
                "parameters": [_ID, _TUS],
                "responses": {
                    "204": {"description": "Terminated"},
                    "401": _ERROR,
                    "403": _ERROR,
                    "404": _ERROR,
                    "409": _ERROR,
                    "412": _ERROR,
                },
            },
        },
    )
