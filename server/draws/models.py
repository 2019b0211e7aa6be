"""A task's DSR-v1 draw: the announcement, the revealed randomness, selections and teams."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server import compression
from server.orm import Base, UUIDPrimaryKey, utcnow
from server.references import checked_per_statement
from server.tasks.models import Task

ANNOUNCED, DRAWN, CANCELLED = "announced", "drawn", "cancelled"


class Draw(UUIDPrimaryKey, Base):
    """One draw of one task; `id` is the protocol's draw_id. Frozen once drawn (amendments only)."""

    __tablename__ = "draws"

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"), unique=True)
    year: Mapped[int] = mapped_column(index=True)  # the task's year: the yearly cap counts by it
    state: Mapped[str] = mapped_column(String(12), default=ANNOUNCED, index=True)
    announced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    announced_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[dt.datetime | None]
    drawn_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Cancelled with its task before the draw (never after: a drawn draw only gets amendments).
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    # The rules in plain Chinese, as published.
    filters_text: Mapped[str] = mapped_column(Text)
    exclusions_text: Mapped[str] = mapped_column(Text)

    # The population snapshot. Members are the sorted USCC list as one JSON array: simple and
    # exactly what the bundle publishes; ~20 bytes a member, so 10^6 members is a ~20 MB value —
    # acceptable for a yearly handful of draws, but a side table would be needed beyond that.
    population_n: Mapped[int]
    population_root: Mapped[str] = mapped_column(String(64))
    # Up to a million USCCs (~20 MB): loaded when first read, not with every Draw row.
    population_members: Mapped[list] = mapped_column(JSON, default=list, deferred=True)
    k: Mapped[int]
    m: Mapped[int]
    ratio: Mapped[str | None] = mapped_column(String(12))

    # §1.4: "commit-reveal" (commitment + secret, witness input at the draw) or "beacon"
    # (a named beacon's future round; its randomness and signature are stored at the draw).
    source: Mapped[str] = mapped_column(String(20), default="commit-reveal")
    commitment: Mapped[str | None] = mapped_column(String(64))
    # The commit-reveal secret S (hex). Never shown before the draw, nor ever for a cancelled
    # draw: the public bundle and page read it only when state == "drawn".
    secret_hex: Mapped[str | None] = mapped_column(String(64))
    witness_input: Mapped[str | None] = mapped_column(Text)
    beacon: Mapped[str | None] = mapped_column(String(40))  # server.draws.beacon.BEACONS key
    beacon_round: Mapped[int | None] = mapped_column(BigInteger)
    beacon_randomness: Mapped[str | None] = mapped_column(String(64))
    beacon_signature: Mapped[str | None] = mapped_column(String(512))
    seed_hex: Mapped[str | None] = mapped_column(String(64))

    pool_root: Mapped[str] = mapped_column(String(64))
    pool_members: Mapped[list] = mapped_column(JSON, default=list)  # sorted credential numbers
    team_size: Mapped[int]
    # Internal only (personal data): [[uscc, credential], ...] as used by the matching.
    conflicts: Mapped[list | None] = mapped_column(JSON)
    # The public §4 bundle, frozen at the draw (amendments are appended later). Stored without
    # population.members (they are `population_members`): read it through
    # operations.public_bundle, which puts them back.
    bundle: Mapped[dict | None] = mapped_column(JSON)

    task: Mapped[Task] = relationship(lazy="joined")
    selections: Mapped[list[DrawSelection]] = relationship(
        cascade="all, delete-orphan", order_by="DrawSelection.position", lazy="selectin"
    )
    assignments: Mapped[list[DrawAssignment]] = relationship(
        cascade="all, delete-orphan", order_by="DrawAssignment.position", lazy="selectin"
    )

    def audit_state(self) -> dict:
        # No secret here: the audit log is read by more people than the draw's officers.
        return {
            "task_id": self.task_id,
            "state": self.state,
            "population_n": self.population_n,
            "population_root": self.population_root,
            "k": self.k,
            "m": self.m,
            "ratio": self.ratio,
            "source": self.source,
            "commitment": self.commitment,
            "witness_input": self.witness_input,
            "beacon": self.beacon,
            "beacon_round": self.beacon_round,
            "beacon_randomness": self.beacon_randomness,
            "cancel_reason": self.cancel_reason,
            "seed": self.seed_hex,
            "pool_root": self.pool_root,
            "team_size": self.team_size,
        }


# The snapshot and the bundle are megabytes each: lz4 on PostgreSQL (server/compression.py).
compression.listen(Draw.__table__)


class DrawSelection(UUIDPrimaryKey, Base):
    """A selected subject or an alternate, in rank order (`position` from 0 within each list)."""

    __tablename__ = "draw_selections"
    __table_args__ = (
        UniqueConstraint("draw_id", "uscc"),
        # Written in bulk by the draw: see server/references.py.
        checked_per_statement("draw_id", "draws.id", ondelete="CASCADE"),
        checked_per_statement("subject_id", "subjects.id"),
    )

    # Indexed through the unique constraint (draw_id leads it).
    draw_id: Mapped[uuid.UUID]
    uscc: Mapped[str] = mapped_column(String(18))
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    rank: Mapped[str] = mapped_column(String(64))
    position: Mapped[int]
    is_alternate: Mapped[bool] = mapped_column(default=False)


class DrawAssignment(UUIDPrimaryKey, Base):
    """One inspector on one selected subject's team; the lead is designated afterwards."""

    __tablename__ = "draw_assignments"
    __table_args__ = (
        UniqueConstraint("draw_id", "uscc", "credential_no"),
        # Written in bulk by the draw: see server/references.py.
        checked_per_statement("draw_id", "draws.id", ondelete="CASCADE"),
        checked_per_statement("subject_id", "subjects.id"),
        checked_per_statement("inspector_id", "inspectors.id"),
    )

    # Indexed through the unique constraint (draw_id leads it).
    draw_id: Mapped[uuid.UUID]
    uscc: Mapped[str] = mapped_column(String(18))
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    inspector_id: Mapped[uuid.UUID] = mapped_column(index=True)
    credential_no: Mapped[str] = mapped_column(String(40))
    position: Mapped[int]  # subject's rank position × team_size + place in its team
    is_team_lead: Mapped[bool] = mapped_column(default=False)
    designated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    designated_at: Mapped[dt.datetime | None]

    def audit_state(self) -> dict:
        return {
            "draw_id": self.draw_id,
            "uscc": self.uscc,
            "credential_no": self.credential_no,
            "is_team_lead": self.is_team_lead,
            "designated_by_id": self.designated_by_id,
            "designated_at": self.designated_at,
        }
