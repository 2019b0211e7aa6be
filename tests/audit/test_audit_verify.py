"""`flask audit verify|head`: an intact chain passes; any edit, deletion or reordering done in SQL
is caught and the first broken event is named."""

from __future__ import annotations

from sqlalchemy import JSON, bindparam, text

from server.audit.chain import GENESIS_HASH
from server.audit.models import AuditEvent
from server.audit.operations import recompute_hash, verify_chain


def run(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])


def test_verify_on_an_intact_chain_exits_0_and_prints_the_head(app, chain):
    events = chain(6)
    result = run(app, "verify")
    assert result.exit_code == 0, result.output
    assert result.output == f"OK: 6 events, head 6 {events[-1].hash}\n"


def test_verify_on_an_empty_chain_is_ok(app):
    result = run(app, "verify")
    assert result.exit_code == 0
    assert result.output == f"OK: 0 events, head 0 {GENESIS_HASH}\n"


def test_head_prints_seq_and_hash_to_publish(app, chain):
    events = chain(3)
    result = run(app, "head")
    assert result.exit_code == 0
    assert result.output == f"3 {events[-1].hash}\n"


def test_editing_the_action_of_a_row_is_detected_at_that_row(app, chain, tamper, db):
    chain(6)
    with tamper() as conn:
        conn.execute(text("UPDATE audit_events SET action = 'auth.login' WHERE seq = 4"))
    result = run(app, "verify")
    assert result.exit_code == 1
    assert "BROKEN: event 4: content does not match its hash" in result.output
    assert "3 events before it are intact" in result.output


def test_editing_the_details_of_a_row_is_detected_at_that_row(app, chain, tamper, db):
    chain(6)
    with tamper() as conn:
        conn.execute(
            text("UPDATE audit_events SET details = :d WHERE seq = 2").bindparams(
                bindparam("d", type_=JSON)
            ),
            {"d": {"i": 99}},
        )
    result = run(app, "verify")
    assert result.exit_code == 1
    assert "BROKEN: event 2: content does not match its hash" in result.output


def test_deleting_a_row_is_detected_as_a_missing_event(app, chain, tamper):
    chain(6)
    with tamper() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 4"))
    result = run(app, "verify")
    assert result.exit_code == 1
    assert "BROKEN: event 4: event 4 is missing (next found: 5)" in result.output


def test_swapping_the_seq_of_two_rows_is_detected_at_the_first(app, chain, tamper):
    chain(6)
    with tamper() as conn:
        # Through a free value: seq is the primary key.
        conn.execute(text("UPDATE audit_events SET seq = -1 WHERE seq = 3"))
        conn.execute(text("UPDATE audit_events SET seq = 3 WHERE seq = 5"))
        conn.execute(text("UPDATE audit_events SET seq = 5 WHERE seq = -1"))
    result = run(app, "verify")
    assert result.exit_code == 1
    assert "BROKEN: event 3: prev_hash does not match the event before" in result.output


def test_editing_a_row_and_rehashing_it_breaks_the_link_of_the_next(app, chain, tamper, db):
    original = chain(6)[3].hash
    with tamper() as conn:
        # A careful forger recomputes the edited row's own hash; the next row still points at
        # the old one.
        conn.execute(text("UPDATE audit_events SET action = 'auth.login' WHERE seq = 4"))
    forged = recompute_hash(db.session.get(AuditEvent, 4))
    assert forged != original
    with tamper() as conn:
        conn.execute(text("UPDATE audit_events SET hash = :h WHERE seq = 4"), {"h": forged})
    checked, broken = verify_chain(db.session)
    assert (checked, broken.seq, broken.kind) == (4, 5, "link")


def test_cutting_off_the_newest_events_is_caught_by_the_published_anchor(app, chain, tamper):
    events = chain(6)
    anchor = f"6:{events[-1].hash}"
    assert run(app, "verify", "--anchor", anchor).exit_code == 0
    with tamper() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq >= 5"))
    # The remaining chain is internally consistent: only the published head reveals the cut.
    assert run(app, "verify").exit_code == 0
    result = run(app, "verify", "--anchor", anchor)
    assert result.exit_code == 1
    assert "BROKEN: anchor 6: event 6 of the published head is missing" in result.output


def test_anchor_with_a_different_hash_fails(app, chain):
    chain(3)
    result = run(app, "verify", "--anchor", "2:" + "a" * 64)
    assert result.exit_code == 1
    assert "event 2 does not carry the published hash" in result.output


def test_malformed_anchor_is_a_usage_error(app, chain):
    chain(1)
    result = run(app, "verify", "--anchor", "two:abc")
    assert result.exit_code == 2
    assert "SEQ:HASH" in result.output
