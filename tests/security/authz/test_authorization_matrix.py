"""The authorization matrix: every endpoint × every role (plus anonymous and a phone) and, for
every object in a path, the same role of another department.

The decisions live in tests/security/authz/matrix.py; the world (the seeded demo bureau, signed-in
browsers and device tokens) in conftest.py. One case is one request: its id names the method,
the rule (with the action for `<any(...)>` rules) and who sends it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from server import create_app
from tests.security.authz.matrix import DEVICE, MATRIX, OTHER, SHARED

PRINCIPALS = ("anonymous", "admin", "dept_head", "leader", "back_office", "inspector", "device")
IGNORED_METHODS = {"HEAD", "OPTIONS"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
ANY_CONVERTER = re.compile(r"<any\(([^)]*)\):(\w+)>")
PARAMETER = re.compile(r"<(?:[^:<>]+:)?(\w+)>")
# Parameters whose meaning depends on the rule.
CODES = {
    "/admin/regions/<code>": "{region_code}",
    "/lang/<code>": "en",
}
KINDS = {"/imports/template/<kind>.xlsx": "subjects"}
FILENAMES = {
    "/static/<path:filename>": "console.css",
    "/credentials/static/<path:filename>": "credentials.css",
}


def _served(instance) -> set[tuple[str, str]]:
    """(method, rule) of every rule; a rule that only answers OPTIONS is listed with OPTIONS."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "INSTANCE_PATH": instance}
    )
    served = set()
    for rule in app.url_map.iter_rules():
        methods = set(rule.methods or ()) - IGNORED_METHODS or {"OPTIONS"}
        served |= {(method, rule.rule) for method in methods}
    return served


def _cases():
    """(method, rule, action, access) for every table row, one per action of an any() rule."""
    for (method, rule), access in sorted(MATRIX.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        match = ANY_CONVERTER.search(rule)
        if match is None:
            yield method, rule, None, access
            continue
        for action in (a.strip() for a in match.group(1).split(",")):
            yield method, rule, action, (access.actions or {}).get(action, access)


CASES = list(_cases())


def _label(method, rule, action) -> str:
    return f"{method} {rule}" + (f" [{action}]" if action else "")


def _path(world, rule: str, action: str | None, access) -> str:
    """The concrete path of `rule` for department A's objects."""
    path = ANY_CONVERTER.sub(action or "", rule)

    def value(match: re.Match) -> str:
        name = match.group(1)
        if access.ids and name in access.ids:
            return world.ids[access.ids[name]]
        if name == "code":
            if rule in CODES:
                return CODES[rule].format(**world.ids)
            return world.ids["item_code"]
        if name == "kind":
            return KINDS[rule]
        if name == "filename":
            return FILENAMES[rule]
        return world.ids[name]

    path = PARAMETER.sub(value, path)
    return path + ("?" + access.query.format(**world.ids) if access.query else "")


def _send(world, principal: str, method: str, path: str, form=None):
    """The response, read and closed (a file response holds its file open until then)."""
    response = _open(world, principal, method, path, form)
    response.get_data()
    response.close()
    return response


def _open(world, principal: str, method: str, path: str, form):
    client = world.clients[principal]
    if method == "GET":
        return client.get(path)
    if method == "OPTIONS":
        return client.options(path, headers={"Tus-Resumable": "1.0.0"})
    if path.startswith("/api/v1/uploads"):
        # tus: headers enough to reach the handler; the body is not the point.
        headers = {
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "10",
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        }
        return client.open(path, method=method, headers=headers, data=b"")
    if path.startswith("/api/"):
        return client.open(path, method=method, json={})
    # A console form with the session's CSRF token: a refusal is then the role check's.
    assert method == "POST"
    data = {key: value.format(**world.ids) for key, value in (form or {}).items()}
    return client.post_form(path, data)


def _refusal_of(access, principal: str, path: str):
    """What a principal the table does not allow gets."""
    if access.kind == DEVICE:
        return 401
    if principal in ("anonymous", "device"):
        # A phone's token never opens the console: it is as good as no session.
        return 401 if path.startswith("/api/") else "login"
    return 403


def _describe(response) -> str:
    return f"{response.status} {response.headers.get('Location', '')} " + response.get_data(
        as_text=True
    )[:300].replace("\n", " ")


def _assert_refused(response, expected):
    if expected == "login":
        assert response.status_code == 302, _describe(response)
        assert urlsplit(response.headers["Location"]).path == "/login", _describe(response)
    else:
        assert response.status_code == expected, _describe(response)


def _assert_allowed(response, access):
    assert response.status_code not in (401, 403), _describe(response)
    assert response.status_code < 500, _describe(response)
    if response.status_code in (301, 302, 303, 307, 308) and not access.lands_on_login:
        assert urlsplit(response.headers["Location"]).path != "/login", _describe(response)


def test_every_served_rule_has_a_decision_and_every_decision_a_rule(tmp_path):
    served, tabled = _served(str(tmp_path)), set(MATRIX)
    assert sorted(served - tabled) == [], "endpoints without an authorization decision"
    assert sorted(tabled - served) == [], "decisions for endpoints that no longer exist"
    for (method, rule), access in MATRIX.items():
        match = ANY_CONVERTER.search(rule)
        served = {a.strip() for a in match.group(1).split(",")} if match else set()
        assert set(access.actions or ()) <= served, f"{method} {rule}: unknown actions"


@pytest.mark.parametrize(
    ("method", "rule", "action", "access", "principal"),
    [(m, r, a, acc, p) for m, r, a, acc in CASES for p in PRINCIPALS],
    ids=[f"{_label(m, r, a)} as {p}" for m, r, a, _acc in CASES for p in PRINCIPALS],
)
def test_role_matrix(world, method, rule, action, access, principal):
    path = _path(world, rule, action, access)
    allowed = access.allows(principal)
    write = method in WRITES
    before = world.footprint() if write and not allowed else None
    response = _send(world, principal, method, path, access.form)
    after = world.footprint() if before is not None else None
    # An allowed write may have committed (status < 400); a refused one that wrote is a finding.
    if write and allowed and response.status_code < 400 or after != before:
        world.restore()
    if allowed:
        _assert_allowed(response, access)
    else:
        _assert_refused(response, _refusal_of(access, principal, path))
        assert after == before, "a refused write changed the database"


OTHER_CASES = [
    (m, r, a, acc, role)
    for m, r, a, acc in CASES
    if acc.other is not None
    for role in (
        ["device"]
        if acc.kind == DEVICE
        else [x for x in OTHER if x in acc.roles and acc.other_for(x) is not None]
    )
]


@pytest.mark.parametrize(
    ("method", "rule", "action", "access", "role"),
    OTHER_CASES,
    ids=[f"{_label(m, r, a)} as other {role}" for m, r, a, _acc, role in OTHER_CASES],
)
def test_someone_elses_object(world, method, rule, action, access, role):
    path = _path(world, rule, action, access)
    expected = access.other_for(role)
    write = method in WRITES
    before = world.footprint() if write else None
    response = _send(world, f"other {role}", method, path, access.form)
    after = world.footprint() if write else None
    if write and response.status_code < 400 or after != before:
        world.restore()
    if expected == SHARED:
        _assert_allowed(response, access)
    else:
        assert response.status_code == expected, _describe(response)
        assert after == before, "a refused write changed the database"
