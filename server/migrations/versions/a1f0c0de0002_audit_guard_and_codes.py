"""audit table append-only guard; reference codes

Revision ID: a1f0c0de0002
Revises: 34e43b027f80
Create Date: 2026-11-27 07:30:00

"""
import sqlalchemy as sa
from alembic import op

from server.audit import guard
from server.codes.reference import code_rows

# revision identifiers, used by Alembic.
revision = "a1f0c0de0002"
down_revision = "34e43b027f80"
branch_labels = None
depends_on = None


def upgrade():
    guard.install(op.get_bind())
    codes = sa.table(
        "codes",
        sa.column("kind", sa.String),
        sa.column("code", sa.String),
        sa.column("name_zh", sa.String),
        sa.column("name_en", sa.String),
        sa.column("gs52_code", sa.String),
        sa.column("sort", sa.Integer),
        sa.column("is_exclusive", sa.Boolean),
        sa.column("is_active", sa.Boolean),
    )
    op.bulk_insert(codes, code_rows())


def downgrade():
    op.execute("DELETE FROM codes")
    guard.uninstall(op.get_bind())
