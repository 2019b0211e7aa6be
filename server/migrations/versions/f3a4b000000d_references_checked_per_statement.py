"""references of the draw's bulk tables checked per statement on PostgreSQL

Revision ID: f3a4b000000d
Revises: e2f3a000000c
Create Date: 2026-11-27 20:30:00

On PostgreSQL the row-by-row foreign keys of draw_selections, draw_assignments, visits and
visit_tasks become statement-level checks (server/references.py); SQLite keeps its constraints.
"""

from alembic import op

from server import references
from server.references import Reference

revision = "f3a4b000000d"
down_revision = "e2f3a000000c"
branch_labels = None
depends_on = None

# As they stand at this revision (later models may add more; a later migration installs those).
REFERENCES = [
    Reference("draw_selections", "draw_id", "draws", False),
    Reference("draw_selections", "subject_id", "subjects", False),
    Reference("draw_assignments", "draw_id", "draws", False),
    Reference("draw_assignments", "inspector_id", "inspectors", False),
    Reference("draw_assignments", "subject_id", "subjects", False),
    Reference("visits", "subject_id", "subjects", False),
    Reference("visit_tasks", "draw_id", "draws", False),
    Reference("visit_tasks", "subject_id", "subjects", False),
    Reference("visit_tasks", "task_id", "tasks", True),
    Reference("visit_tasks", "visit_id", "visits", False),
]
CASCADE = {("draw_selections", "draw_id"), ("draw_assignments", "draw_id")}


def _name(ref: Reference) -> str:
    return f"fk_{ref.table}_{ref.column}_{ref.parent}"


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for ref in REFERENCES:
        op.drop_constraint(_name(ref), ref.table, type_="foreignkey")
    references.install(bind, REFERENCES)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    references.uninstall(bind, REFERENCES)
    for ref in REFERENCES:
        op.create_foreign_key(
            _name(ref),
            ref.table,
            ref.parent,
            [ref.column],
            ["id"],
            ondelete="CASCADE" if (ref.table, ref.column) in CASCADE else None,
        )
