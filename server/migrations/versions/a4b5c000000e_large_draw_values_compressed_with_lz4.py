"""large draw values compressed with lz4 on PostgreSQL

Revision ID: a4b5c000000e
Revises: f3a4b000000d
Create Date: 2026-11-27 23:45:00

draws.population_members and draws.bundle (megabytes each in a large draw) are compressed with
lz4 instead of pglz where the PostgreSQL server has it (server/compression.py). Values already
stored keep their compression until rewritten; SQLite is unchanged.
"""

from alembic import op

from server import compression

revision = "a4b5c000000e"
down_revision = "f3a4b000000d"
branch_labels = None
depends_on = None

COLUMNS = (("draws", "population_members"), ("draws", "bundle"))


def upgrade() -> None:
    compression.use_lz4(op.get_bind(), COLUMNS)


def downgrade() -> None:
    compression.use_lz4(op.get_bind(), COLUMNS, method="pglz")
