"""The standalone verifier: OK on a genuine bundle, every alteration named (DSR-v1 §4–§5)."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys

import pytest

from server.draws import dsr, verify
from tests.draws.support import REPO, SECRET, drawn_bundle, population, run_verifier


def check(bundle: dict, tmp_path, capsys) -> tuple[int, str]:
    """Run the verifier's command line in-process on a bundle written to a file."""
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    code = verify.main([str(path)])
    return code, capsys.readouterr().out


def test_a_genuine_internal_bundle_verifies_ok_as_a_subprocess(bundle, tmp_path):
    result = run_verifier(bundle, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK")
    assert "N=230 k=12 m=5 teams=12 amendments=2" in result.stdout


def test_a_tampered_bundle_exits_1_as_a_subprocess(bundle, tmp_path):
    bundle["selected"][0], bundle["alternates"][0] = bundle["alternates"][0], bundle["selected"][0]
    result = run_verifier(bundle, tmp_path)
    assert result.returncode == 1
    assert "selected[0].uscc" in result.stdout and "alternates[0].uscc" in result.stdout


def test_the_verifier_runs_on_a_bare_interpreter_without_site_packages(bundle, tmp_path):
    # -I: no environment, no user site, not even the current directory; -S: no site-packages,
    # so Flask and every other third-party module are simply absent.
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    script = REPO / "server" / "draws" / "verify.py"
    result = subprocess.run(  # noqa: S603 - our own interpreter and file
        [sys.executable, "-I", "-S", str(script), str(path)],
        capture_output=True, text=True, encoding="utf-8", check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK")


@pytest.mark.parametrize("flags", [[], ["-S"]], ids=["venv", "no-site-packages"])
def test_python_m_verify_imports_no_third_party_module(flags, bundle, tmp_path):
    # With the venv's packages available, nothing may pull them in; without them (-S), the
    # module form must still run: `python -m` imports server/__init__.py first.
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    probe = (
        "import runpy, sys, sysconfig\n"
        "before = set(sys.modules)\n"  # what site.py loaded is not the verifier's doing
        f"sys.argv = ['verify', {str(path)!r}]\n"
        "try:\n    runpy.run_module('server.draws.verify', run_name='__main__')\n"
        "except SystemExit as exit:\n    code = exit.code\n"
        "std = sysconfig.get_paths()['stdlib']\n"
        "bad = sorted(n for n, m in sys.modules.items() if n not in before"
        " and getattr(m, '__file__', None) and not m.__file__.startswith(std)"
        " and not n.startswith('server'))\n"
        "print('third-party:', bad); sys.exit(code or (1 if bad else 0))\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-E", "-s", *flags, "-c", probe],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK") and "third-party: []" in result.stdout


def test_a_public_bundle_without_conflicts_verifies_the_object_draw(bundle, tmp_path, capsys):
    del bundle["conflicts"]
    del bundle["matching"]["pool"]
    code, out = check(bundle, tmp_path, capsys)
    assert code == 0, out
    assert "teams not recomputed" in out


def test_a_bundle_announced_but_not_drawn_verifies_its_announcement(tmp_path, capsys):
    bundle = drawn_bundle()
    bundle["randomness"]["secret"] = None
    bundle["randomness"]["witness_input"] = None
    bundle.update(seed=None, drawn_at=None, selected=[], alternates=[], amendments=[])
    bundle["matching"]["teams"] = []
    code, out = check(bundle, tmp_path, capsys)
    assert code == 0, out
    assert "not drawn yet" in out


def beacon_bundle() -> dict:
    """A drawn beacon bundle whose randomness is SHA-256 of the signature, as drand's is."""
    bundle = drawn_bundle()
    signature = bytes(range(48))
    randomness = hashlib.sha256(signature).digest()
    bundle["randomness"] = dsr.randomness_beacon("drand-quicknet", 123, randomness, signature)
    seed = dsr.seed(bundle["draw_id"], bundle["population"]["root"], randomness)
    selected, alternates = dsr.draw_objects(seed, bundle["population"]["members"], 12, 5)
    conflicts = [(c["uscc"], c["inspector"]) for c in bundle["conflicts"]]
    pool = bundle["matching"]["pool"]
    bundle["seed"] = seed.hex()
    bundle["selected"] = [{"uscc": u, "rank": r} for u, r in selected]
    bundle["alternates"] = [{"uscc": u, "rank": r} for u, r in alternates]
    bundle["matching"]["teams"] = dsr.match_teams(
        seed, [u for u, _ in selected], pool, 2, conflicts
    )
    bundle["amendments"] = []
    return bundle


def test_a_beacon_bundle_verifies_ok(tmp_path, capsys):
    code, out = check(beacon_bundle(), tmp_path, capsys)
    assert code == 0, out


def test_beacon_randomness_that_is_not_the_hash_of_the_signature_is_a_mismatch(tmp_path, capsys):
    bundle = beacon_bundle()
    bundle["randomness"]["signature"] = "ab" * 48
    code, out = check(bundle, tmp_path, capsys)
    assert code == 1 and "randomness.randomness" in out


def _add_member(b):
    extra = population(231)[-1]
    b["population"]["members"] = sorted(b["population"]["members"] + [extra])


def _remove_unselected_member(b):
    chosen = {i["uscc"] for i in b["selected"] + b["alternates"]}
    b["population"]["members"].remove(
        next(u for u in b["population"]["members"] if u not in chosen)
    )


def _swap(b):
    b["selected"][3], b["alternates"][1] = b["alternates"][1], b["selected"][3]


def _forge_amendment(b):
    team = next(t for t in b["matching"]["teams"] if t["uscc"] == b["amendments"][0]["uscc"])
    others = [c for c in b["matching"]["pool"] if c not in team["inspectors"]]
    b["amendments"][0]["in"] = next(c for c in others if c != b["amendments"][0]["in"])


TAMPERING = {
    "member added": (_add_member, ["population.n", "population.root"]),
    "member removed": (_remove_unselected_member, ["population.n", "population.root"]),
    "member unsorted": (
        lambda b: b["population"]["members"].reverse(),
        ["population.members", "population.root"],
    ),
    "wrong root": (lambda b: b["population"].update(root="00" * 32), ["population.root", "seed"]),
    "changed secret": (
        lambda b: b["randomness"].update(secret=hashlib.sha256(SECRET).hexdigest()),
        ["randomness.commitment", "seed"],
    ),
    "changed commitment": (
        lambda b: b["randomness"].update(commitment="11" * 32),
        ["randomness.commitment"],
    ),
    "changed witness": (lambda b: b["randomness"].update(witness_input="3 6 1 5 3"), ["seed"]),
    "changed draw id": (lambda b: b.update(draw_id=b["draw_id"][:-1] + "0"), ["seed"]),
    "changed seed": (lambda b: b.update(seed="22" * 32), ["seed", "selected[0].uscc"]),
    "swapped selected and alternate": (_swap, ["selected[3].uscc", "alternates[1].uscc"]),
    "changed rank": (lambda b: b["selected"][5].update(rank="33" * 32), ["selected[5].rank"]),
    "dropped selected": (lambda b: b["selected"].pop(), ["selected (count 数量)"]),
    "changed k": (lambda b: b["rules"].update(k=13), ["rules.k"]),
    "changed ratio": (lambda b: b["rules"].update(ratio="0.06"), ["rules.k"]),
    "changed team": (
        lambda b: b["matching"]["teams"][4].update(
            inspectors=[
                c for c in b["matching"]["pool"] if c not in b["matching"]["teams"][4]["inspectors"]
            ][:2]
        ),
        ["matching.teams[4].inspectors"],
    ),
    "conflict hidden": (
        lambda b: b.update(
            conflicts=[c for c in b["conflicts"] if c["uscc"] != b["selected"][0]["uscc"]]
        ),
        ["matching.teams[0].inspectors"],
    ),
    "pool member added": (
        lambda b: b["matching"]["pool"].append("鲁执9999999"),
        ["matching.pool_root"],
    ),
    "forged amendment": (_forge_amendment, ["amendments[0].in"]),
    "amendment without approver": (
        lambda b: b["amendments"][1].pop("approved_by"),
        ["amendments[1].approved_by"],
    ),
    "changed protocol": (lambda b: b.update(protocol="DSR-v2"), ["protocol"]),
}


@pytest.mark.parametrize("kind", TAMPERING)
def test_each_kind_of_tampering_exits_1_naming_the_field(kind, tmp_path, capsys):
    genuine = drawn_bundle()
    tampered = copy.deepcopy(genuine)
    alter, fields = TAMPERING[kind]
    alter(tampered)
    assert tampered != genuine
    code, out = check(tampered, tmp_path, capsys)
    assert code == 1, out
    for field in fields:
        assert f"MISMATCH 不一致 {field}: expected" in out, (field, out)
    assert out.splitlines()[-1].startswith("FAILED") and not out.startswith("OK")


def test_a_mismatch_line_shows_the_expected_and_the_found_value(bundle, tmp_path, capsys):
    bundle["selected"][5]["rank"] = "33" * 32
    code, out = check(bundle, tmp_path, capsys)
    line = next(x for x in out.splitlines() if "selected[5].rank" in x)
    assert "expected 应为" in line and '"' + "33" * 32 + '"' in line


@pytest.mark.parametrize(
    "text", ["{not json", "[1, 2]", '{"seed": "a", "seed": "b"}', '{"n": NaN}', ""]
)
def test_an_unreadable_or_invalid_json_file_exits_2(text, tmp_path):
    result = run_verifier(text, tmp_path)
    assert result.returncode == 2
    assert "ERROR" in result.stderr and result.stdout == ""


def test_a_missing_file_exits_2(tmp_path, capsys):
    assert verify.main([str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_an_empty_object_exits_1_naming_the_missing_fields(tmp_path, capsys):
    code, out = check({}, tmp_path, capsys)
    assert code == 1
    for field in ("protocol", "draw_id", "population.members", "rules.k", "randomness.source"):
        assert field in out


# Descriptive texts DSR-v1 does not hash into anything: their integrity comes from the audit log
# (the announcement is written there), not from the bundle. Conflicts are not committed either:
# a conflict that changed nobody's team cannot be told from an absent one.
UNBOUND = ("task.", "announced_at", "drawn_at", "rules.filters", "rules.exclusions", "conflicts")
UNBOUND_AMENDMENT_TEXTS = (".reason", ".approved_by", ".at")


def leaves(value, path=""):
    """(path, value) of every scalar in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def altered(value):
    """A different value of the same kind (hex stays hex)."""
    if isinstance(value, bool) or value is None:
        return "x"
    if isinstance(value, int):
        return value + 1
    return value[:-1] + ("0" if value[-1:] != "0" else "1") if value else "x"


def set_leaf(bundle, path, value):
    parts = path.replace("]", "").replace("[", ".").split(".")
    target = bundle
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    target[int(last) if isinstance(target, list) else last] = value


def test_altering_any_bound_field_of_the_bundle_is_rejected():
    genuine = drawn_bundle(n=40, ratio="0.2", pool_size=6)
    assert not verify.verify(copy.deepcopy(genuine)).mismatches
    checked = 0
    for path, value in leaves(genuine):
        if path.startswith(UNBOUND) or (
            path.startswith("amendments") and path.endswith(UNBOUND_AMENDMENT_TEXTS)
        ):
            continue
        tampered = copy.deepcopy(genuine)
        set_leaf(tampered, path, altered(value))
        assert verify.verify(tampered).mismatches, path
        checked += 1
    assert checked > 100
