"""Background job of follow-ups: the 移交函/移送函 PDF of a sent transfer ("transfer.letter").

Rendering a PDF (WeasyPrint) takes about a second: it is done after the sending request, from
the transfer as sent (nothing the letter shows changes after sending), then stored and hashed.
"""

from __future__ import annotations

import uuid

from flask import current_app

from server.documents.pdf import render_pdf
from server.followups import operations, queries
from server.followups.models import T_DRAFT, Transfer
from server.i18n import N_
from server.jobs.registry import Permanent, handler


@handler("transfer.letter", label=N_("移交函 PDF"))
def make_letter(session, payload: dict) -> None:
    from server.uploads.views import storage  # the app's evidence storage

    transfer = session.get(Transfer, uuid.UUID(payload["transfer_id"]))
    if transfer is None or transfer.status == T_DRAFT:
        raise Permanent("transfer not found or not sent")
    if transfer.letter_key:
        return
    body = render_pdf(
        "followups/letter.html", **queries.letter(session, transfer, current_app.config)
    )
    operations.store_letter(session, storage(), transfer=transfer, body=body)
