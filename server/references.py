"""Foreign keys checked once per statement on PostgreSQL, for the tables a draw fills in bulk.

A draw of 5 % of a million subjects writes ~200,000 rows (selections, team members, visits and
their task links) with about half a million foreign-key references. PostgreSQL checks a declared
foreign key row by row (a SELECT … FOR KEY SHARE per reference, which also writes a lock into
the referenced row): about 4 of the draw's 15 seconds. These references are declared with
`checked_per_statement()` instead:

- on SQLite they stay ordinary FOREIGN KEY constraints;
- on PostgreSQL an AFTER INSERT statement trigger checks all the statement's new rows with one
  anti-join per reference (`missing` below), and a row trigger checks an UPDATE that changes a
  reference (rare: an inspector replaced on a team);
- a referenced row must not disappear afterwards either. Subjects, inspectors, draws and visits
  are never deleted (they are soft-deleted, deactivated or cancelled and kept for the record), so
  deleting or truncating them is refused outright; the inserts therefore need no row locks. A
  parent the application does delete (a task, while a draft) is declared with `lock=True`: the
  insert locks the referenced rows (FOR KEY SHARE, a handful) and a statement trigger refuses
  a delete that would orphan a row, so neither side can race the other.
- the referenced `id` of those tables never changes (refused by a row trigger).

The error raised has SQLSTATE 23503 (foreign_key_violation) or 23001 (restrict_violation), so
callers see the same IntegrityError as with a declared constraint.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ForeignKeyConstraint, MetaData, event, text
from sqlalchemy.engine import Connection

MARK = "checked_per_statement"


def checked_per_statement(
    column: str, target: str, *, ondelete: str | None = None, lock: bool = False
) -> ForeignKeyConstraint:
    """A foreign key on `column` → `target` ("table.id") for a model's __table_args__.

    `ondelete` applies on SQLite only (PostgreSQL refuses deleting the parents, see above);
    `lock=True` for a parent the application may delete.
    """
    constraint = ForeignKeyConstraint(
        [column], [target], ondelete=ondelete, info={MARK: "lock" if lock else "plain"}
    )
    return constraint.ddl_if(dialect="sqlite")


@dataclass(frozen=True)
class Reference:
    table: str
    column: str
    parent: str
    lock: bool


def references(metadata: MetaData) -> list[Reference]:
    """Every reference declared with checked_per_statement(), in table order."""
    found = []
    for table in metadata.sorted_tables:
        for constraint in sorted(table.foreign_key_constraints, key=lambda c: c.name or ""):
            kind = constraint.info.get(MARK)
            if kind:
                (column,) = constraint.column_keys
                parent = constraint.referred_table.name
                found.append(Reference(table.name, column, parent, kind == "lock"))
    return found


FUNCTIONS = [
    # The error both checks raise: what PostgreSQL says for a declared foreign key.
    """
    CREATE OR REPLACE FUNCTION spotcheck_reference_missing(
      child text, child_column text, parent text, key text) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'insert or update on table "%" violates foreign key "fk_%_%_%"',
          child, child, child_column, parent
        USING ERRCODE = 'foreign_key_violation', TABLE = child, COLUMN = child_column,
              DETAIL = format('Key (%s)=(%s) is not present in table "%s".',
                              child_column, key, parent);
    END $$
    """,
    # AFTER INSERT … FOR EACH STATEMENT, REFERENCING NEW TABLE AS new_rows.
    # Arguments in threes: column, parent table, 'lock' | 'plain'.
    """
    CREATE OR REPLACE FUNCTION spotcheck_references_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      i int := 0;
      missing text;
    BEGIN
      WHILE i < TG_NARGS LOOP
        IF TG_ARGV[i + 2] = 'lock' THEN
          EXECUTE format(
            'SELECT count(*) FROM (SELECT FROM %2$I p WHERE p.id IN '
            '(SELECT %1$I FROM new_rows) FOR KEY SHARE OF p) AS locked',
            TG_ARGV[i], TG_ARGV[i + 1]);
        END IF;
        EXECUTE format(
          'SELECT n.%1$I::text FROM new_rows n WHERE n.%1$I IS NOT NULL '
          'AND NOT EXISTS (SELECT FROM %2$I p WHERE p.id = n.%1$I) LIMIT 1',
          TG_ARGV[i], TG_ARGV[i + 1]) INTO missing;
        IF missing IS NOT NULL THEN
          PERFORM spotcheck_reference_missing(TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1], missing);
        END IF;
        i := i + 3;
      END LOOP;
      RETURN NULL;
    END $$
    """,
    # AFTER UPDATE OF <columns> … FOR EACH ROW, when one of them changed. Same arguments.
    """
    CREATE OR REPLACE FUNCTION spotcheck_references_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      i int := 0;
      value text;
      found boolean;
    BEGIN
      WHILE i < TG_NARGS LOOP
        value := to_jsonb(NEW) ->> TG_ARGV[i];
        IF value IS NOT NULL AND value IS DISTINCT FROM to_jsonb(OLD) ->> TG_ARGV[i] THEN
          IF TG_ARGV[i + 2] = 'lock' THEN
            EXECUTE format('SELECT EXISTS (SELECT FROM %I p WHERE p.id = $1::uuid '
                           'FOR KEY SHARE OF p)', TG_ARGV[i + 1]) INTO found USING value;
          ELSE
            EXECUTE format('SELECT EXISTS (SELECT FROM %I p WHERE p.id = $1::uuid)',
                           TG_ARGV[i + 1]) INTO found USING value;
          END IF;
          IF NOT found THEN
            PERFORM spotcheck_reference_missing(TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1], value);
          END IF;
        END IF;
        i := i + 3;
      END LOOP;
      RETURN NULL;
    END $$
    """,
    # BEFORE DELETE (row) and BEFORE TRUNCATE on a table whose rows are kept for the record.
    """
    CREATE OR REPLACE FUNCTION spotcheck_references_kept() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'rows of "%" are kept for the record (% refused): deactivate, cancel '
                      'or mark them deleted instead', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation', TABLE = TG_TABLE_NAME;
    END $$
    """,
    # AFTER DELETE … FOR EACH STATEMENT, REFERENCING OLD TABLE AS old_rows, on a parent the
    # application deletes. Arguments in pairs: referencing table, column.
    """
    CREATE OR REPLACE FUNCTION spotcheck_references_deleted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      i int := 0;
      still text;
    BEGIN
      WHILE i < TG_NARGS LOOP
        EXECUTE format('SELECT o.id::text FROM old_rows o WHERE EXISTS '
                       '(SELECT FROM %1$I c WHERE c.%2$I = o.id) LIMIT 1',
                       TG_ARGV[i], TG_ARGV[i + 1]) INTO still;
        IF still IS NOT NULL THEN
          RAISE EXCEPTION 'update or delete on table "%" violates foreign key "fk_%_%_%"',
              TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1], TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME,
                  DETAIL = format('Key (id)=(%s) is still referenced from table "%s".',
                                  still, TG_ARGV[i]);
        END IF;
        i := i + 2;
      END LOOP;
      RETURN NULL;
    END $$
    """,
    # BEFORE UPDATE OF id … FOR EACH ROW WHEN the id changes, on every referenced table.
    """
    CREATE OR REPLACE FUNCTION spotcheck_references_id_fixed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the id of a row of "%" never changes', TG_TABLE_NAME
        USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
    END $$
    """,
]

FUNCTION_SIGNATURES = [
    "spotcheck_references_inserted()",
    "spotcheck_references_updated()",
    "spotcheck_references_kept()",
    "spotcheck_references_deleted()",
    "spotcheck_references_id_fixed()",
    "spotcheck_reference_missing(text, text, text, text)",
]


def _args(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def trigger_statements(refs: list[Reference]) -> list[str]:
    """CREATE TRIGGER statements for the given references (PostgreSQL)."""
    statements = []
    by_table: dict[str, list[Reference]] = {}
    by_parent: dict[str, list[Reference]] = {}
    for ref in refs:
        by_table.setdefault(ref.table, []).append(ref)
        by_parent.setdefault(ref.parent, []).append(ref)
    for table, mine in by_table.items():
        args = _args([v for r in mine for v in (r.column, r.parent, "lock" if r.lock else "plain")])
        changed = " OR ".join(f"OLD.{r.column} IS DISTINCT FROM NEW.{r.column}" for r in mine)
        columns = ", ".join(r.column for r in mine)
        statements += [
            "CREATE OR REPLACE TRIGGER"
            f" {table}_references_inserted AFTER INSERT ON {table}"
            " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
            f" EXECUTE FUNCTION spotcheck_references_inserted({args})",
            "CREATE OR REPLACE TRIGGER"
            f" {table}_references_updated AFTER UPDATE OF {columns} ON {table}"
            f" FOR EACH ROW WHEN ({changed})"
            f" EXECUTE FUNCTION spotcheck_references_updated({args})",
        ]
    for parent, theirs in by_parent.items():
        if all(r.lock for r in theirs):
            args = _args([v for r in theirs for v in (r.table, r.column)])
            statements.append(
                "CREATE OR REPLACE TRIGGER"
                f" {parent}_references_deleted AFTER DELETE ON {parent}"
                " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"
                f" EXECUTE FUNCTION spotcheck_references_deleted({args})"
            )
        else:
            statements += [
                "CREATE OR REPLACE TRIGGER"
                f" {parent}_references_kept BEFORE DELETE ON {parent}"
                " FOR EACH ROW EXECUTE FUNCTION spotcheck_references_kept()",
                "CREATE OR REPLACE TRIGGER"
                f" {parent}_references_kept_truncate BEFORE TRUNCATE ON {parent}"
                " FOR EACH STATEMENT EXECUTE FUNCTION spotcheck_references_kept()",
            ]
        statements.append(
            "CREATE OR REPLACE TRIGGER"
            f" {parent}_references_id_fixed BEFORE UPDATE OF id ON {parent}"
            " FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)"
            " EXECUTE FUNCTION spotcheck_references_id_fixed()"
        )
    return statements


def drop_statements(refs: list[Reference]) -> list[str]:
    tables = sorted({r.table for r in refs})
    parents = sorted({r.parent for r in refs})
    statements = []
    for table in tables:
        for suffix in ("inserted", "updated"):
            statements.append(f"DROP TRIGGER IF EXISTS {table}_references_{suffix} ON {table}")
    for parent in parents:
        for suffix in ("deleted", "kept", "kept_truncate", "id_fixed"):
            statements.append(f"DROP TRIGGER IF EXISTS {parent}_references_{suffix} ON {parent}")
    return statements + [f"DROP FUNCTION IF EXISTS {name}" for name in FUNCTION_SIGNATURES]


def _current() -> list[Reference]:
    from server.orm import Base

    return references(Base.metadata)


def install(connection: Connection, refs: list[Reference] | None = None) -> None:
    """The functions and triggers on PostgreSQL (nothing elsewhere: real constraints there)."""
    if connection.dialect.name != "postgresql":
        return
    for statement in FUNCTIONS + trigger_statements(_current() if refs is None else refs):
        connection.execute(text(statement))


def uninstall(connection: Connection, refs: list[Reference] | None = None) -> None:
    if connection.dialect.name != "postgresql":
        return
    for statement in drop_statements(_current() if refs is None else refs):
        connection.execute(text(statement))


def include_object_for(dialect_name: str):
    """Alembic's include_object: leave out the constraints a dialect does not create."""

    def include_object(object_, name, type_, reflected, compare_to):
        if type_ == "foreign_key_constraint" and not reflected:
            condition = getattr(object_, "_ddl_if", None)
            if condition is not None and condition.dialect not in (None, dialect_name):
                return False
        return True

    return include_object


def _after_create(metadata: MetaData, connection: Connection, **kw) -> None:
    """create_all (tests, benchmarks) installs the triggers as the migration does."""
    install(connection, references(metadata))


def listen(metadata: MetaData) -> None:
    if not event.contains(metadata, "after_create", _after_create):
        event.listen(metadata, "after_create", _after_create)
