"""Draws with a public randomness beacon (DSR-v1 §1.4, §2.1): a future round at announcement,
its value fetched from a (local fake) drand relay or pasted, checked, and verifiable."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import json
import secrets
import threading

import pytest
from sqlalchemy import func, select

from server.auth.operations import actor_for as actor_of
from server.draws import beacon as beacons
from server.draws import operations
from server.draws.models import Draw, DrawSelection
from server.draws.operations import DrawError
from server.orm import utcnow
from tests.draws.support import run_verifier

QUICKNET = beacons.BEACONS[beacons.DRAND_QUICKNET]
HOUR_AGO = dt.timedelta(hours=1)


def _value(round_: int) -> dict:
    """A drand-shaped round value: randomness = SHA-256(signature)."""
    signature = secrets.token_bytes(48)
    return {
        "round": round_,
        "randomness": hashlib.sha256(signature).hexdigest(),
        "signature": signature.hex(),
    }


class FakeDrand:
    """A local drand HTTP relay: serves `rounds` at /<chain hash>/public/<round>."""

    def __init__(self) -> None:
        self.rounds: dict[int, dict] = {}
        self.requests: list[str] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                fake.requests.append(self.path)
                prefix = f"/{QUICKNET.chain_hash}/public/"
                number = self.path.removeprefix(prefix)
                body = fake.rounds.get(int(number)) if number.isdigit() else None
                if not self.path.startswith(prefix) or body is None:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def drand(app):
    fake = FakeDrand()
    app.config["DRAND_URL"] = fake.url
    yield fake
    fake.close()


def announce_beacon(db, task, user, *, now=None, **kwargs):
    kwargs.setdefault("beacon", beacons.DRAND_QUICKNET)
    draw = operations.announce_draw(
        db.session, actor=actor_of(user), task=task, user=user, source="beacon", now=now, **kwargs
    )
    db.session.commit()
    return draw


def run(db, draw, user, **kwargs):
    operations.draw_objects(db.session, actor=actor_of(user), draw=draw, user=user, **kwargs)
    db.session.commit()
    return draw


def selections(db) -> int:
    return db.session.scalar(select(func.count()).select_from(DrawSelection))


# ---------------------------------------------------------------- round arithmetic


def test_quicknet_round_arithmetic_matches_drands_clock():
    # drand quicknet: genesis 1692803367 (round 1), a round every 3 seconds.
    assert QUICKNET.round_time(1) == dt.datetime.fromtimestamp(1692803367, dt.UTC)
    midnight = dt.datetime(2026, 4, 20, tzinfo=dt.UTC)
    assert QUICKNET.round_at(midnight) == 27946612
    assert QUICKNET.round_time(27946612) == midnight
    assert QUICKNET.first_round_after(midnight + dt.timedelta(seconds=1)) == 27946613
    # Ten minutes = 200 rounds later.
    assert beacons.default_round(QUICKNET, midnight, 10) == 27946612 + 200


# ---------------------------------------------------------------- announce


def test_a_beacon_announcement_fixes_a_future_round_and_no_secret(
    db, client, tmp_path, bureau, scene, approved_task
):
    before = utcnow().replace(microsecond=0)  # announcements are stamped to the second
    draw = announce_beacon(db, approved_task(), bureau.office)
    assert draw.source == "beacon" and draw.beacon == "drand-quicknet"
    assert draw.commitment is None and draw.secret_hex is None
    # The first round at least 10 minutes (the default delay) after the announcement.
    expected_at = QUICKNET.round_time(draw.beacon_round)
    assert expected_at >= before + dt.timedelta(minutes=10)
    assert expected_at < before + dt.timedelta(minutes=10, seconds=10)

    bundle = client.get(f"/api/v1/public/draws/{draw.id}/bundle").get_json()
    assert bundle["randomness"] == {
        "source": "beacon",
        "beacon": "drand-quicknet",
        "round": draw.beacon_round,
        "randomness": None,
        "signature": None,
    }
    result = run_verifier(bundle, tmp_path)  # an announcement is consistent as far as it goes
    assert result.returncode == 0, result.stdout + result.stderr
    assert "announced, not drawn yet" in result.stdout

    page = client.get(f"/public/draws/{draw.id}").get_data(as_text=True)
    local = operations.beacon_time(draw).strftime("%Y-%m-%d %H:%M:%S")
    assert str(draw.beacon_round) in page and local in page and "drand" in page
    listed = client.get("/api/v1/public/draws").get_json()[0]
    assert (listed["source"], listed["beacon_round"]) == ("beacon", draw.beacon_round)


def test_the_delay_is_configurable(app, db, bureau, scene, approved_task):
    app.config["BEACON_DELAY_MINUTES"] = 30
    now = utcnow().replace(microsecond=0)
    draw = announce_beacon(db, approved_task(), bureau.office, now=now)
    assert draw.beacon_round == QUICKNET.first_round_after(now + dt.timedelta(minutes=30))


def test_a_round_already_published_is_refused(db, bureau, scene, approved_task):
    task = approved_task()
    past = QUICKNET.round_at(utcnow())
    with pytest.raises(DrawError, match="只能选择公告之后才产生的轮次") as raised:
        operations.announce_draw(
            db.session,
            actor=actor_of(bureau.office),
            task=task,
            user=bureau.office,
            source="beacon",
            beacon="drand-quicknet",
            beacon_round=past,
        )
    assert raised.value.status == 422
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Draw)) == 0
    assert task.state == "approved"


def test_the_demo_beacon_is_not_offered_unless_enabled(app, db, bureau, scene, approved_task):
    assert "demo-beacon" not in operations.beacon_choices()
    with pytest.raises(DrawError, match="请选择随机信标"):
        announce_beacon(db, approved_task(), bureau.office, beacon="demo-beacon")
    db.session.rollback()
    app.config["DEMO_BEACON"] = True
    assert "demo-beacon" in operations.beacon_choices()


# ---------------------------------------------------------------- draw


def test_the_draw_is_refused_before_the_rounds_time(db, browser, bureau, scene, approved_task):
    task = approved_task()
    draw = announce_beacon(db, task, bureau.office)
    with pytest.raises(DrawError, match="尚未产生") as raised:
        run(db, draw, bureau.head)
    assert raised.value.status == 409
    db.session.rollback()
    response = browser("head1").post_form(f"/tasks/{task.id}/draw/run", {})
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert f"信标第 {draw.beacon_round} 轮尚未产生，预计于" in text
    assert operations.beacon_time(draw).strftime("%Y-%m-%d %H:%M:%S") in text
    db.session.expire_all()
    assert draw.state == "announced" and selections(db) == 0


def test_the_round_is_fetched_from_drand_and_the_bundle_verifies(
    db, client, drand, tmp_path, bureau, scene, approved_task
):
    task = approved_task()
    draw = announce_beacon(db, task, bureau.office, now=utcnow() - HOUR_AGO)
    value = drand.rounds[draw.beacon_round] = _value(draw.beacon_round)
    run(db, draw, bureau.head)
    assert drand.requests == [f"/{QUICKNET.chain_hash}/public/{draw.beacon_round}"]
    assert (draw.state, task.state) == ("drawn", "matched")
    assert (draw.beacon_randomness, draw.beacon_signature) == (
        value["randomness"],
        value["signature"],
    )
    assert draw.witness_input is None

    bundle = client.get(f"/api/v1/public/draws/{draw.id}/bundle").get_json()
    assert bundle["randomness"] == {"source": "beacon", "beacon": "drand-quicknet", **value}
    result = run_verifier(bundle, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK")
    # The internal bundle recomputes the teams too.
    internal = run_verifier(operations.internal_bundle(draw), tmp_path)
    assert internal.returncode == 0, internal.stdout

    page = client.get(f"/public/draws/{draw.id}").get_data(as_text=True)
    assert value["randomness"] in page and value["signature"] in page
    assert f"{drand.url}/{QUICKNET.chain_hash}/public/{draw.beacon_round}" in page
    assert "如何到 drand 核对" in page


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("randomness", "randomness", "00" * 32),  # other entropy: no longer SHA-256(signature)
        ("randomness", "signature", "ab" * 48),  # another signature: not the randomness' preimage
        ("randomness", "source", "commit-reveal"),
        (None, "seed", "11" * 32),
    ],
)
def test_the_verifier_rejects_an_altered_beacon_bundle(
    db, client, drand, tmp_path, bureau, scene, approved_task, section, key, value
):
    draw = announce_beacon(db, approved_task(), bureau.office, now=utcnow() - HOUR_AGO)
    drand.rounds[draw.beacon_round] = _value(draw.beacon_round)
    run(db, draw, bureau.head)
    bundle = client.get(f"/api/v1/public/draws/{draw.id}/bundle").get_json()
    assert "compare the round at drand" in run_verifier(bundle, tmp_path).stdout
    (bundle[section] if section else bundle)[key] = value
    result = run_verifier(bundle, tmp_path)
    assert result.returncode == 1, result.stdout
    assert "MISMATCH" in result.stdout


def test_a_pasted_round_value_is_checked_and_used(
    db, client, tmp_path, bureau, scene, approved_task, app
):
    app.config["DRAND_URL"] = "http://127.0.0.1:9"  # nothing listens: must not be needed
    draw = announce_beacon(db, approved_task(), bureau.office, now=utcnow() - HOUR_AGO)
    value = _value(draw.beacon_round)
    run(
        db,
        draw,
        bureau.head,
        beacon_randomness=value["randomness"].upper(),  # as copied from a page
        beacon_signature=" " + value["signature"] + "\n",
    )
    assert draw.state == "drawn" and draw.beacon_randomness == value["randomness"]
    bundle = client.get(f"/api/v1/public/draws/{draw.id}/bundle").get_json()
    assert run_verifier(bundle, tmp_path).returncode == 0


@pytest.mark.parametrize(
    ("randomness", "signature", "message"),
    [
        (None, "ab" * 48, "随机数与签名不符"),  # a tampered / mistyped signature
        ("zz" * 32, "ab" * 48, "应为十六进制"),
        ("ab" * 16, "ab" * 48, "32 字节"),
        (None, "", "请填写签名"),
    ],
)
def test_a_wrong_pasted_value_is_refused_with_nothing_written(
    db, browser, bureau, scene, approved_task, randomness, signature, message
):
    task = approved_task()
    draw = announce_beacon(db, task, bureau.office, now=utcnow() - HOUR_AGO)
    good = _value(draw.beacon_round)
    form = {"beacon_randomness": randomness or good["randomness"], "beacon_signature": signature}
    response = browser("head1").post_form(f"/tasks/{task.id}/draw/run", form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert draw.state == "announced" and selections(db) == 0 and task.state == "announced"


def test_a_tampered_value_from_the_relay_is_refused(db, drand, bureau, scene, approved_task):
    draw = announce_beacon(db, approved_task(), bureau.office, now=utcnow() - HOUR_AGO)
    value = _value(draw.beacon_round)
    value["signature"] = "cd" * 48  # no longer the preimage of the randomness
    drand.rounds[draw.beacon_round] = value
    with pytest.raises(DrawError, match="随机数与签名不符") as raised:
        run(db, draw, bureau.head)
    assert raised.value.status == 502
    db.session.rollback()
    assert draw.state == "announced" and selections(db) == 0


def test_a_relay_giving_another_round_is_refused(db, drand, bureau, scene, approved_task):
    draw = announce_beacon(db, approved_task(), bureau.office, now=utcnow() - HOUR_AGO)
    drand.rounds[draw.beacon_round] = _value(draw.beacon_round + 1)
    with pytest.raises(DrawError, match="轮次与第"):
        run(db, draw, bureau.head)


def test_an_unreachable_beacon_says_so_and_suggests_pasting(
    app, db, browser, bureau, scene, approved_task
):
    app.config["DRAND_URL"] = "http://127.0.0.1:9"  # the discard port: connection refused
    task = approved_task()
    draw = announce_beacon(db, task, bureau.office, now=utcnow() - HOUR_AGO)
    response = browser("head1").post_form(f"/tasks/{task.id}/draw/run", {})
    assert response.status_code == 502
    text = response.get_data(as_text=True)
    assert "无法连接信标服务" in text and "粘贴" in text
    db.session.expire_all()
    assert draw.state == "announced"


# ---------------------------------------------------------------- console


def test_the_console_announces_a_beacon_draw_and_draws_it(
    db, browser, drand, bureau, scene, approved_task
):
    task = approved_task()
    office = browser("office1")
    page = office.get(f"/tasks/{task.id}/draw").get_data(as_text=True)
    assert 'value="beacon"' in page and "drand" in page and "demo-beacon" not in page
    response = office.post_form(
        f"/tasks/{task.id}/draw/announce", {"source": "beacon", "beacon": "drand-quicknet"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    draw = db.session.scalars(select(Draw)).one()
    assert draw.source == "beacon" and draw.beacon_round > QUICKNET.round_at(utcnow())
    page = office.get(f"/tasks/{task.id}/draw").get_data(as_text=True)
    assert "按信标抽取" in page and 'name="witness_input"' not in page
    assert operations.beacon_time(draw).strftime("%Y-%m-%d %H:%M:%S") in page


def test_the_console_refuses_a_past_round(db, browser, bureau, scene, approved_task):
    task = approved_task()
    past = QUICKNET.round_at(utcnow()) - 5
    response = browser("office1").post_form(
        f"/tasks/{task.id}/draw/announce",
        {"source": "beacon", "beacon": "drand-quicknet", "beacon_round": str(past)},
    )
    assert response.status_code == 422
    assert "只能选择公告之后才产生的轮次" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Draw)) == 0


# ---------------------------------------------------------------- demo beacon


def test_the_demo_beacon_draws_without_network_and_says_it_is_a_demo(
    app, db, client, tmp_path, bureau, scene, approved_task
):
    app.config["DRAND_URL"] = "http://127.0.0.1:9"
    assert app.config["DEMO_BEACON"] is False  # the seeder's function needs no setting
    task = approved_task()
    draw = operations.demo_beacon_draw(db.session, actor=actor_of(bureau.head), task=task)
    db.session.commit()
    assert (draw.state, draw.beacon, task.state) == ("drawn", "demo-beacon", "matched")
    assert QUICKNET.round_time(draw.beacon_round) > draw.announced_at
    randomness, signature = beacons.demo_value(draw.beacon_round)
    assert draw.beacon_randomness == randomness.hex()
    bundle = client.get(f"/api/v1/public/draws/{draw.id}/bundle").get_json()
    assert bundle["randomness"]["beacon"] == "demo-beacon"
    assert run_verifier(bundle, tmp_path).returncode == 0
    page = client.get(f"/public/draws/{draw.id}").get_data(as_text=True)
    assert "非真实随机信标" in page and "仅供演示" in page
