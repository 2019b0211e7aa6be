"""Transfers (移交 / 移送): a draft with documents, sent with its generated letter, received by
the internal recipient department (its inbox), closed with the outcome; refusals.

Run: .venv/bin/pytest -n0 -q tests/followups/test_transfers.py   (add DATABASE_URL for PG)
"""

from __future__ import annotations

import hashlib
import io
import uuid

from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.clock import local_today
from server.followups.models import (
    REFERRAL_JUDICIAL,
    T_CLOSED,
    T_DRAFT,
    T_RECEIVED,
    T_SENT,
    Transfer,
    TransferDocument,
)
from server.uploads.views import storage
from tests.documents.test_pdfs import pdf_text
from tests.followups.conftest import browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _draft(client, followup, **extra) -> str:
    form = {
        "recipient_name": "经开区市场运行科",
        "clue_summary": "预收资金余额与存管账户不符",
        **extra,
    }
    response = client.post_form(f"/followups/{followup.id}/transfers", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_a_transfer_goes_draft_sent_received_closed_with_its_letter_and_inbox(
    db, app, bench, opened
):
    followup = opened["notify_other"]
    recipient = bench.scene.b
    office = browser(app, bench.side.office)
    tid = _draft(office, followup, recipient_department_id=str(recipient.department.id))
    row = db.session.get(Transfer, uuid.UUID(tid))
    assert row.status == T_DRAFT and row.kind == "handover"  # 抄告其他部门 → 移交

    # The recipient sees no draft.
    other = browser(app, recipient.office)
    assert other.get(f"/transfers/{tid}").status_code == 404
    assert "预收资金" not in other.get("/transfers/inbox").get_data(as_text=True)

    upload = office.post(
        f"/transfers/{tid}/documents",
        data={"file": (io.BytesIO(PDF), "询问笔录.pdf"), "csrf_token": office.csrf_token},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    doc = db.session.scalars(select(TransferDocument)).one()
    assert (doc.mime, doc.size, doc.sha256) == (
        "application/pdf",
        len(PDF),
        hashlib.sha256(PDF).hexdigest(),
    )
    assert storage().read(doc.storage_key) == PDF and doc.storage_key.startswith(
        "transfer-document/"
    )
    got = office.get(f"/transfers/{tid}/documents/{doc.id}")
    assert got.status_code == 200 and got.data == PDF
    assert "attachment" in got.headers["Content-Disposition"]

    preview = office.get(f"/transfers/{tid}/letter.pdf")
    assert preview.status_code == 200 and preview.data.startswith(b"%PDF")

    # The recipient cannot receive what is not sent.
    early = other.post_form(f"/transfers/{tid}/receive", {"received_on": local_today().isoformat()})
    assert early.status_code == 404

    sent = office.post_form(f"/transfers/{tid}/send", {"sent_on": local_today().isoformat()})
    assert sent.status_code == 302
    db.session.expire_all()
    row = db.session.get(Transfer, row.id)
    assert row.status == T_SENT and row.sent_on == local_today()
    letter = office.get(f"/transfers/{tid}/letter.pdf")
    assert letter.data.startswith(b"%PDF")
    assert hashlib.sha256(letter.data).hexdigest() == row.letter_sha256
    text = pdf_text(letter.data).replace(" ", "")
    subject = followup.subject
    for expected in (
        "线索移交函",
        subject.name,
        subject.uscc,
        bench.task.number,
        "预收资金余额与存管账户不符",
        hashlib.sha256(PDF).hexdigest()[:16],
    ):
        assert expected.replace(" ", "") in text, expected
    assert "草稿" not in text
    again = office.post_form(f"/transfers/{tid}/send", {"sent_on": local_today().isoformat()})
    assert again.status_code == 409 and "只有草稿状态的移交可以发出" in again.get_data(as_text=True)
    late = office.post(
        f"/transfers/{tid}/documents",
        data={"file": (io.BytesIO(PDF), "b.pdf"), "csrf_token": office.csrf_token},
        content_type="multipart/form-data",
    )
    assert late.status_code == 409

    # The sender cannot sign for an internal recipient.
    forged = office.post_form(
        f"/transfers/{tid}/receive", {"received_on": local_today().isoformat()}
    )
    assert forged.status_code == 403  # (the console's 403 page names no reason)

    inbox = other.get("/transfers/inbox").get_data(as_text=True)
    assert f"/transfers/{tid}" in inbox and bench.side.department.name in inbox
    page = other.get(f"/transfers/{tid}").get_data(as_text=True)
    assert "签收" in page and row.letter_sha256 in page
    close_early = other.post_form(
        f"/transfers/{tid}/close", {"closed_on": local_today().isoformat(), "outcome": "已立案"}
    )
    assert close_early.status_code == 409 and "只有已签收的移交可以办结" in close_early.get_data(
        as_text=True
    )
    received = other.post_form(
        f"/transfers/{tid}/receive", {"received_on": local_today().isoformat(), "note": "已收到"}
    )
    assert received.status_code == 302
    no_outcome = other.post_form(
        f"/transfers/{tid}/close", {"closed_on": local_today().isoformat()}
    )
    assert no_outcome.status_code == 422 and "请填写办理结果" in no_outcome.get_data(as_text=True)
    closed = other.post_form(
        f"/transfers/{tid}/close", {"closed_on": local_today().isoformat(), "outcome": "已立案调查"}
    )
    assert closed.status_code == 302
    db.session.expire_all()
    row = db.session.get(Transfer, row.id)
    assert (row.status, row.receipt_note, row.outcome) == (T_CLOSED, "已收到", "已立案调查")
    assert row.received_on == row.closed_on == local_today()
    actions = list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "transfer")
            .order_by(AuditEvent.seq)
        )
    )
    assert actions == [
        "transfer.create",
        "transfer.document",
        "transfer.send",
        "transfer.letter",  # the background job, right after the sending request
        "transfer.receive",
        "transfer.close",
    ]
    # The sending department's head reads it too.
    assert browser(app, bench.side.head).get(f"/transfers/{tid}").status_code == 200


def test_bad_input_and_bad_files_are_refused_in_chinese_and_nothing_is_kept(db, app, bench, opened):
    followup = opened["notify_other"]
    office = browser(app, bench.side.office)
    missing = office.post_form(f"/followups/{followup.id}/transfers", {"clue_summary": "x"})
    assert missing.status_code == 422 and "请填写接收单位" in missing.get_data(as_text=True)
    own = office.post_form(
        f"/followups/{followup.id}/transfers",
        {
            "recipient_name": "本科室",
            "clue_summary": "x",
            "recipient_department_id": str(bench.side.department.id),
        },
    )
    assert own.status_code == 422 and "不能移交给本科室" in own.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == 0

    tid = _draft(office, followup, kind=REFERRAL_JUDICIAL)

    def post(data: bytes, name: str):
        return office.post(
            f"/transfers/{tid}/documents",
            data={"file": (io.BytesIO(data), name), "csrf_token": office.csrf_token},
            content_type="multipart/form-data",
        )

    text = post(b"just some text pretending", "fake.pdf")
    assert text.status_code == 422 and "只能上传 PDF、JPEG 或 PNG 文件" in text.get_data(
        as_text=True
    )
    app.config["TRANSFER_DOCUMENT_MAX_BYTES"] = 2048
    big = post(PNG + b"\x00" * 2048, "big.png")
    assert big.status_code == 422 and "文件不能超过 2 KB" in big.get_data(as_text=True)
    assert post(PNG, "photo.png").status_code == 302
    assert db.session.scalars(select(TransferDocument.mime)).all() == ["image/png"]
    future = office.post_form(f"/transfers/{tid}/send", {"sent_on": "2099-01-01"})
    assert future.status_code == 422 and "日期不能晚于今天" in future.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(Transfer.status)).one() == T_DRAFT

    # An outside body: the sender records the receipt itself.
    assert (
        office.post_form(
            f"/transfers/{tid}/send", {"sent_on": local_today().isoformat()}
        ).status_code
        == 302
    )
    assert (
        office.post_form(
            f"/transfers/{tid}/receive", {"received_on": local_today().isoformat()}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.scalars(select(Transfer.status)).one() == T_RECEIVED

    # Another department's office cannot touch it; a closed follow-up takes no new transfer.
    stranger = browser(app, bench.scene.b.office)
    assert stranger.get(f"/transfers/{tid}").status_code == 404
    assert (
        stranger.post_form(
            f"/transfers/{tid}/close", {"closed_on": local_today().isoformat(), "outcome": "x"}
        ).status_code
        == 404
    )
    rectify = opened["rectify"]
    assert (
        office.post_form(
            f"/followups/{rectify.id}/close", {"closed_on": local_today().isoformat()}
        ).status_code
        == 302
    )
    refused = office.post_form(
        f"/followups/{rectify.id}/transfers", {"recipient_name": "x", "clue_summary": "y"}
    )
    assert refused.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == 1
