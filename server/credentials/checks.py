"""What a scanned QR code proves, read from the database now (never from the token alone).

The token (server/credentials/tokens.py) names an inspector, maybe a visit, and an expiry; this
module answers: is the credential valid today, and — for a visit token — is this inspector on
that visit's team (the DrawAssignment rows of its (draw, subject) pairs, as in
server/visits/access.py), is the visit still planned and is today inside its window. It also
writes the scan log. Views render `Facts`; the JSON API dumps `Facts.as_dict()`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from sqlalchemy import and_, exists, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from server.credentials import models
from server.credentials.tokens import Claim
from server.directory.models import Inspector
from server.draws.models import DrawAssignment
from server.orm import utcnow
from server.tasks.models import Task
from server.visits.models import PLANNED, Visit, VisitTask


@dataclasses.dataclass
class VisitFacts:
    id: uuid.UUID
    subject_name: str
    uscc: str
    window_start: dt.date
    window_end: dt.date
    state: str
    tasks: list[dict]  # {number, name} of the tasks the visit carries
    on_team: bool
    in_window: bool

    @property
    def is_open(self) -> bool:
        return self.state == PLANNED


@dataclasses.dataclass
class Facts:
    today: dt.date
    expires_on: dt.date
    inspector: Inspector
    has_photo: bool
    visit: VisitFacts | None
    scans: int = 0

    @property
    def kind(self) -> str:
        return "visit" if self.visit else "credential"

    @property
    def credential_valid(self) -> bool:
        return self.inspector.is_active and self.inspector.credential_valid_on(self.today)

    @property
    def outcome(self) -> str:
        if not self.credential_valid:
            return models.CREDENTIAL_INVALID
        if self.visit is None:
            return models.VALID
        if not self.visit.is_open:
            return models.VISIT_CLOSED
        if not self.visit.on_team:
            return models.NOT_ASSIGNED
        if not self.visit.in_window:
            return models.OUTSIDE_WINDOW
        return models.VALID

    @property
    def valid(self) -> bool:
        return self.outcome == models.VALID

    def as_dict(self) -> dict:
        """The public facts: never the ID number or the phone of the inspector."""
        inspector = self.inspector
        visit = self.visit
        return {
            "valid": self.valid,
            "outcome": self.outcome,
            "kind": self.kind,
            "checked_on": self.today,
            "token_expires_on": self.expires_on,
            "credential": {
                "valid": self.credential_valid,
                "name": inspector.name,
                "credential_no": inspector.credential_no,
                "issuer": inspector.credential_issuer,
                "department": inspector.department.name,
                "valid_from": inspector.credential_valid_from,
                "valid_until": inspector.credential_valid_until,
                "is_active": inspector.is_active,
                "has_photo": self.has_photo,
            },
            "visit": None
            if visit is None
            else {
                "subject_name": visit.subject_name,
                "uscc": visit.uscc,
                "window_start": visit.window_start,
                "window_end": visit.window_end,
                "state": visit.state,
                "tasks": visit.tasks,
                "on_team": visit.on_team,
                "in_window": visit.in_window,
            },
            "scans": self.scans,
        }


def facts(session: Session, claim: Claim, today: dt.date) -> Facts | None:
    """The facts behind a genuine claim; None if it names an inspector or visit we do not have."""
    inspector = session.get(Inspector, claim.inspector_id)
    if inspector is None:
        return None
    visit_facts = None
    if claim.visit_id is not None:
        visit = session.get(Visit, claim.visit_id)
        if visit is None:
            return None
        on_team = session.scalar(
            select(
                exists().where(
                    VisitTask.visit_id == visit.id,
                    DrawAssignment.draw_id == VisitTask.draw_id,
                    DrawAssignment.subject_id == VisitTask.subject_id,
                    DrawAssignment.inspector_id == inspector.id,
                )
            )
        )
        tasks = session.execute(
            select(Task.number, Task.name)
            .join(VisitTask, VisitTask.task_id == Task.id)
            .where(VisitTask.visit_id == visit.id)
            .order_by(VisitTask.position)
        )
        visit_facts = VisitFacts(
            id=visit.id,
            subject_name=visit.subject.name,
            uscc=visit.uscc,
            window_start=visit.window_start,
            window_end=visit.window_end,
            state=visit.state,
            tasks=[{"number": t.number, "name": t.name} for t in tasks],
            on_team=bool(on_team),
            in_window=visit.window_start <= today <= visit.window_end,
        )
    return Facts(
        today=today,
        expires_on=claim.expires_on,
        inspector=inspector,
        has_photo=inspector.photo_key is not None,
        visit=visit_facts,
    )


def log_scan(
    engine: Engine,
    *,
    claim: Claim | None,
    known: bool,
    outcome: str,
    via: str,
    ip_hash: str | None,
    user_agent: str | None,
) -> int:
    """Append one scan in its own transaction; returns how often this token has been scanned.

    Its own transaction because refused scans (404, 410) matter most, and the request's
    transaction is rolled back for those statuses (server/transactions.py). `known`: the
    claim's inspector and visit exist (else they are logged as null: foreign keys).
    """
    inspector_id = claim.inspector_id if claim and known else None
    visit_id = claim.visit_id if claim and known else None
    agent = (user_agent or "")[: models.USER_AGENT_CHARS] or None
    with engine.begin() as conn:
        conn.execute(
            insert(models.CredentialScan).values(
                id=uuid.uuid4(),
                at=utcnow(),
                inspector_id=inspector_id,
                visit_id=visit_id,
                outcome=outcome,
                via=via,
                ip_hash=ip_hash,
                user_agent=agent,
            )
        )
        if inspector_id is None:
            return 1
        same_token = and_(
            models.CredentialScan.inspector_id == inspector_id,
            models.CredentialScan.visit_id == visit_id
            if visit_id is not None
            else models.CredentialScan.visit_id.is_(None),
        )
        return conn.scalar(
            select(func.count()).select_from(models.CredentialScan).where(same_token)
        )
