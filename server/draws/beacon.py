"""Public randomness beacons for DSR-v1 (§1.4, §2.1): round arithmetic, fetching, checking.

Standard library only (plus the N_ marker). A beacon round is fixed at the announcement while it
is still in the future, so nobody (the bureau included) knows the randomness when the population
is fixed.

Registry:
- `drand-quicknet`: the League of Entropy's drand "quicknet" chain (a round every 3 s since the
  genesis time). Its randomness is SHA-256 of the round's BLS signature; the signature itself
  is checked against drand's public key by anyone at drand's site or with a drand client.
- `demo-beacon`: NOT a beacon. A local, predictable stand-in so the demo can show a beacon draw
  without network. Offered only when SPOTCHECK_DEMO_BEACON is on (or by the demo seeder), and
  labelled as a demonstration everywhere it appears.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import urllib.error
import urllib.request

from server.errors import OperationError
from server.i18n import N_

DRAND_QUICKNET = "drand-quicknet"
DEMO_BEACON = "demo-beacon"
FETCH_TIMEOUT_SECONDS = 5


class BeaconError(OperationError):
    """A beacon value that cannot be used; `msgid` is Chinese (the caller translates)."""


@dataclasses.dataclass(frozen=True)
class Beacon:
    name: str
    genesis: int  # Unix time of round 1
    period: int  # seconds between rounds
    chain_hash: str | None  # drand chain hash (the HTTP API's path); None: local only
    is_demo: bool = False

    def round_time(self, round_: int) -> dt.datetime:
        """When the round is published (UTC): genesis + (round − 1) × period."""
        return dt.datetime.fromtimestamp(self.genesis + (round_ - 1) * self.period, dt.UTC)

    def round_at(self, when: dt.datetime) -> int:
        """The latest round published at `when` (0 before the genesis)."""
        elapsed = when.timestamp() - self.genesis
        return 0 if elapsed < 0 else math.floor(elapsed / self.period) + 1

    def first_round_after(self, when: dt.datetime) -> int:
        """The first round published at or after `when`."""
        elapsed = when.timestamp() - self.genesis
        if elapsed <= 0:
            return 1
        return math.ceil(elapsed / self.period) + 1

    def is_published(self, round_: int, now: dt.datetime) -> bool:
        return self.round_time(round_) <= now


BEACONS = {
    DRAND_QUICKNET: Beacon(
        DRAND_QUICKNET,
        genesis=1692803367,
        period=3,
        chain_hash="52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
    ),
    # Same clock as quicknet so a demo round's time reads like a real one.
    DEMO_BEACON: Beacon(DEMO_BEACON, genesis=1692803367, period=3, chain_hash=None, is_demo=True),
}


def available(*, demo: bool) -> dict[str, Beacon]:
    """The beacons an officer may choose: the demo one only when explicitly enabled."""
    return {name: b for name, b in BEACONS.items() if demo or not b.is_demo}


def default_round(beacon: Beacon, now: dt.datetime, delay_minutes: int) -> int:
    """The first round at least `delay_minutes` after `now` (time for the public to see it)."""
    return beacon.first_round_after(now + dt.timedelta(minutes=max(delay_minutes, 0)))


# ---------------------------------------------------------------- values

_EMPTY = {
    "randomness": N_("请填写随机数（randomness）"),
    "signature": N_("请填写签名（signature）"),
}
_NOT_HEX = {
    "randomness": N_("随机数（randomness）应为十六进制字符串"),
    "signature": N_("签名（signature）应为十六进制字符串"),
}


def _hex(value, field: str) -> bytes:
    text = str(value or "").strip().lower()
    text = text[2:] if text.startswith("0x") else text
    if not text:
        raise BeaconError(_EMPTY[field], field=field)
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise BeaconError(_NOT_HEX[field], field=field) from None


def check_value(beacon: Beacon, round_: int, randomness, signature) -> tuple[bytes, bytes]:
    """Parse and check one round's values (hex text); (randomness, signature) bytes.

    drand derives the randomness as SHA-256(signature): a pasted or fetched pair that does not
    satisfy it was mistyped or tampered with. The demo beacon follows the same rule.
    """
    rand_bytes = _hex(randomness, "randomness")
    sig_bytes = _hex(signature, "signature")
    if len(rand_bytes) != 32:
        raise BeaconError(N_("随机数（randomness）应为 32 字节（64 位十六进制）"), "randomness")
    if hashlib.sha256(sig_bytes).digest() != rand_bytes:
        raise BeaconError(
            N_("随机数与签名不符（drand 的随机数等于签名的 SHA-256），请核对第 %(round)s 轮的数值"),
            "signature",
            round=round_,
        )
    return rand_bytes, sig_bytes


def demo_value(round_: int) -> tuple[bytes, bytes]:
    """The demo beacon's (randomness, signature) of a round: predictable, for demos only."""
    text = f"SpotCheck demo beacon (not random) round {round_}"
    signature = hashlib.sha256(text.encode()).digest()
    return hashlib.sha256(signature).digest(), signature


def fetch(beacon: Beacon, round_: int, base_url: str, timeout: float = FETCH_TIMEOUT_SECONDS):
    """Fetch a round from drand's HTTP API (`/<chain hash>/public/<round>`) and check it."""
    if beacon.chain_hash is None:
        raise BeaconError(N_("该信标不能联网获取"))
    if not base_url.startswith(("https://", "http://")):
        raise BeaconError(N_("信标服务地址配置有误（应以 https:// 开头）"))
    url = f"{base_url.rstrip('/')}/{beacon.chain_hash}/public/{int(round_)}"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(64 * 1024)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise BeaconError(
                N_("信标尚未发布第 %(round)s 轮，请稍后再试"), status=409, round=round_
            ) from None
        raise BeaconError(
            N_("信标服务返回错误（HTTP %(code)s），请稍后再试"), status=502, code=error.code
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError):
        raise BeaconError(
            N_("无法连接信标服务 %(url)s；请稍后重试，或从 drand 网站查得该轮的随机数和签名后粘贴"),
            status=502,
            url=base_url,
        ) from None
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BeaconError(N_("信标服务返回的内容不是有效的 JSON"), status=502) from None
    if not isinstance(data, dict) or data.get("round") != round_:
        raise BeaconError(N_("信标服务返回的轮次与第 %(round)s 轮不符"), status=502, round=round_)
    try:
        return check_value(beacon, round_, data.get("randomness"), data.get("signature"))
    except BeaconError as error:  # the service's value, not the officer's typing: a 502
        raise BeaconError(error.msgid, status=502, **error.params) from None
