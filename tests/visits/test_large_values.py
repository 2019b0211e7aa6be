"""A draw's large values (the population snapshot, the bundle) are stored with lz4 on PostgreSQL
(server/compression.py): set on the columns by create_all as by the migration, and a
million-member-sized snapshot comes back exactly as written."""

from __future__ import annotations

from sqlalchemy import select, text

from server import compression
from server.draws.models import Draw


def test_the_snapshot_and_bundle_columns_use_lz4_where_the_server_has_it(db):
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        # SQLite stores values as they are: nothing to set, and nothing is tried.
        assert compression.lz4_available(connection) is False
        compression.use_lz4(connection)
        return
    assert compression.lz4_available(connection)  # Debian's PostgreSQL is built with lz4
    methods = dict(
        connection.execute(
            text(
                "SELECT attname, attcompression FROM pg_attribute"
                " WHERE attrelid = 'draws'::regclass"
                " AND attname IN ('population_members', 'bundle', 'pool_members')"
            )
        ).all()
    )
    # 'l' = lz4; '' = the server's default (pglz) for the small values left alone.
    assert methods == {"population_members": "l", "bundle": "l", "pool_members": ""}


def test_a_large_snapshot_is_stored_compressed_and_read_back_unchanged(drawn_task, scene, db):
    task = drawn_task(scene.a, "04-01", "04-30")
    draw = db.session.scalars(select(Draw).where(Draw.task_id == task.id)).one()
    members = [f"91370000MA{n:07d}X" for n in range(100_000)]
    draw.population_members = members
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Draw, draw.id).population_members == members
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        method = connection.scalar(
            text("SELECT pg_column_compression(population_members) FROM draws WHERE id = :id"),
            {"id": draw.id},
        )
        assert method == "lz4"
