"""Who may use which endpoint: the authorization decision of every rule of the url_map.

Every (method, rule) the app serves must be here, and nothing else: a new endpoint without a
decision here fails tests/security/authz/test_authorization_matrix.py.

- `public()`: anyone, signed in or not, with or without a device token.
- `signed_in()`: any console session (a user without roles too); anonymous browsers are sent to
  /login, API callers get 401.
- `console(*roles)`: a console session holding one of the roles; other roles get 403.
- `device()`: a field-app bearer token (server/auth/bearer.py); a console session is not one: 401.

`other` states what the same role of another department (or an inspector not on the visit, or
another inspector's phone) gets for department A's object in the path: 403 or 404 and nothing
written, or `SHARED` where reading another department's object is the design (with the reason).
`actions` splits a rule with an `<any(...):action>` converter: each action is its own decision.
"""

from __future__ import annotations

import dataclasses

from server.auth.roles import ADMIN, BACK_OFFICE, DEPT_HEAD, INSPECTOR, LEADER, ROLES

# Who sends the requests. The department "A" is 商贸流通科 (SMLT), which owns the demo's finished
# task; admin and leader1 work for the whole bureau.
OWN = {
    "admin": "admin",
    "dept_head": "head1",
    "leader": "leader1",
    "back_office": "office2",
    "inspector": "lead1",  # on the finished task's team
}
# The same roles in another department (head2, inspector2: 市场运行科; office1: 政策法规科).
OTHER = {"dept_head": "head2", "back_office": "office1", "inspector": "inspector2"}
PUBLIC, SIGNED_IN, CONSOLE, DEVICE = "public", "signed_in", "console", "device"
# Another department may read the object: the reason is given where it is used.
SHARED = "shared"


@dataclasses.dataclass(frozen=True)
class Access:
    kind: str
    roles: frozenset[str] = frozenset()
    # What the same roles of another department get: None (no object of A in the path), 403,
    # 404, SHARED, or a dict role -> one of those where the roles differ.
    other: object = None
    query: str = ""
    actions: dict | None = None
    # Form fields (console POSTs) and path parameters other than the defaults of conftest's ids,
    # both as "{id name}" templates; a form valid enough to reach the object-level check.
    form: dict | None = None
    ids: dict | None = None
    # Signing out lands on /login: that redirect is the allowed outcome there.
    lands_on_login: bool = False

    def allows(self, principal: str) -> bool:
        if self.kind == PUBLIC:
            return True
        if self.kind == DEVICE:
            return principal == "device"
        return principal in self.roles

    def other_for(self, role: str):
        return self.other.get(role) if isinstance(self.other, dict) else self.other


def public(**kw) -> Access:
    return Access(PUBLIC, **kw)


def signed_in(**kw) -> Access:
    return Access(SIGNED_IN, frozenset(ROLES), **kw)


def console(*roles: str, **kw) -> Access:
    return Access(CONSOLE, frozenset(roles), **kw)


def device(**kw) -> Access:
    return Access(DEVICE, **kw)


# Readers of every role; the roles that keep the bureau-wide directories and lists.
EVERYONE = ROLES
RESULT_READERS = (ADMIN, DEPT_HEAD, LEADER, BACK_OFFICE)
# The demo's returned task of department A, reopened to draft by its owner head1 (conftest):
# editable, submittable, cancellable, commissions allowed.
DRAFT = {"task_id": "draft_task_id"}
CHECKLIST = {"name": "授权矩阵检查表", "department_id": "{dept_id}"}
QUESTION = {"position": "0", "text": "授权矩阵检查内容", "answer_type": "text"}
# Another department's head reads and shares directories and lists, but writes only their own.
HEAD_ONLY_OWN = {DEPT_HEAD: 403, BACK_OFFICE: SHARED, INSPECTOR: SHARED}

MATRIX: dict[tuple[str, str], Access] = {
    # ---- signing in and the account -----------------------------------------------------
    ("GET", "/login"): public(),
    ("POST", "/login"): public(),
    ("POST", "/logout"): signed_in(lands_on_login=True),
    ("GET", "/"): signed_in(),
    ("GET", "/account"): signed_in(),
    ("POST", "/account/password"): signed_in(),
    # Own devices only: lead1's phone is not anybody else's to revoke (404, nothing written).
    ("POST", "/account/devices/revoke"): signed_in(
        form={"device_id": "{device_id}"},
        other={DEPT_HEAD: 404, BACK_OFFICE: 404, INSPECTOR: 404},
    ),
    ("GET", "/lang/<code>"): public(),
    ("GET", "/healthz"): public(),
    ("GET", "/static/<path:filename>"): public(),
    ("GET", "/credentials/static/<path:filename>"): public(),
    # ---- administration (bureau-wide: no department owns these objects) ---------------------
    ("GET", "/admin/calendar"): console(ADMIN),
    ("POST", "/admin/calendar/overrides"): console(ADMIN),
    ("POST", "/admin/calendar/overrides/<day>/delete"): console(ADMIN),
    ("GET", "/admin/calendar/overrides/<day>/edit"): console(ADMIN),
    ("POST", "/admin/calendar/overrides/<day>/edit"): console(ADMIN),
    ("GET", "/admin/departments"): console(ADMIN),
    ("POST", "/admin/departments"): console(ADMIN),
    ("GET", "/admin/departments/<uuid:dept_id>"): console(ADMIN),
    ("POST", "/admin/departments/<uuid:dept_id>"): console(ADMIN),
    ("POST", "/admin/departments/<uuid:dept_id>/deactivate"): console(ADMIN),
    ("POST", "/admin/departments/<uuid:dept_id>/reactivate"): console(ADMIN),
    ("GET", "/admin/users"): console(ADMIN),
    ("GET", "/admin/users/new"): console(ADMIN),
    ("POST", "/admin/users/new"): console(ADMIN),
    ("GET", "/admin/users/<uuid:user_id>"): console(ADMIN),
    ("POST", "/admin/users/<uuid:user_id>"): console(ADMIN),
    ("POST", "/admin/users/<uuid:user_id>/deactivate"): console(ADMIN),
    ("POST", "/admin/users/<uuid:user_id>/devices/revoke"): console(ADMIN),
    ("POST", "/admin/users/<uuid:user_id>/force-logout"): console(ADMIN),
    ("POST", "/admin/users/<uuid:user_id>/password"): console(ADMIN),
    ("POST", "/admin/users/<uuid:user_id>/reactivate"): console(ADMIN),
    ("POST", "/admin/users/<uuid:user_id>/unlock"): console(ADMIN),
    ("GET", "/admin/regions"): console(ADMIN, BACK_OFFICE),
    ("POST", "/admin/regions"): console(ADMIN, BACK_OFFICE),
    ("POST", "/admin/regions/<code>"): console(ADMIN, BACK_OFFICE),
    ("GET", "/system/jobs"): console(ADMIN),
    ("POST", "/system/jobs/<job_id>/retry"): console(ADMIN, ids={"job_id": "absent"}),
    ("GET", "/audit"): console(ADMIN, DEPT_HEAD, LEADER),
    # The trail is the bureau's (Art. 28): every head reads all of it, by design.
    ("GET", "/audit/<int:seq>"): console(ADMIN, DEPT_HEAD, LEADER, other=SHARED),
    ("POST", "/audit/verify"): console(ADMIN, DEPT_HEAD, LEADER),
    # ---- items (一单): the list is public; a head writes only their department's items ------
    ("GET", "/items"): console(*EVERYONE),
    ("GET", "/items/export.xlsx"): console(*EVERYONE),
    ("GET", "/items/new"): console(ADMIN, DEPT_HEAD, BACK_OFFICE),
    ("POST", "/items/new"): console(ADMIN, DEPT_HEAD, BACK_OFFICE),
    ("GET", "/items/<code>"): console(*EVERYONE, other=SHARED),
    # The back office keeps the whole list's content (server/items/access.py).
    ("GET", "/items/<code>/edit"): console(ADMIN, DEPT_HEAD, BACK_OFFICE, other=HEAD_ONLY_OWN),
    ("POST", "/items/<code>/edit"): console(ADMIN, DEPT_HEAD, BACK_OFFICE, other=HEAD_ONLY_OWN),
    ("POST", "/items/<code>/restore"): console(ADMIN, DEPT_HEAD, other=403),
    ("POST", "/items/<code>/retire"): console(ADMIN, DEPT_HEAD, other=403),
    # ---- the two directories (两库): shared by the bureau; the back office keeps them -------
    ("GET", "/subjects"): console(*EVERYONE),
    ("GET", "/subjects/new"): console(ADMIN, BACK_OFFICE),
    ("POST", "/subjects/new"): console(ADMIN, BACK_OFFICE),
    ("GET", "/subjects/<subject_id>"): console(*EVERYONE, other=SHARED),
    ("GET", "/subjects/<subject_id>/edit"): console(ADMIN, BACK_OFFICE, other=SHARED),
    ("POST", "/subjects/<subject_id>/edit"): console(ADMIN, BACK_OFFICE, other=SHARED),
    ("POST", "/subjects/<subject_id>/flags"): console(
        ADMIN, DEPT_HEAD, BACK_OFFICE, other=HEAD_ONLY_OWN
    ),
    ("POST", "/subjects/<subject_id>/flags/clear"): console(
        ADMIN, DEPT_HEAD, BACK_OFFICE, other=HEAD_ONLY_OWN
    ),
    ("POST", "/subjects/<subject_id>/remove"): console(ADMIN, BACK_OFFICE, other=SHARED),
    ("POST", "/subjects/<subject_id>/restore"): console(ADMIN, BACK_OFFICE, other=SHARED),
    ("GET", "/inspectors"): console(*EVERYONE),
    ("GET", "/inspectors/new"): console(ADMIN, BACK_OFFICE),
    ("POST", "/inspectors/new"): console(ADMIN, BACK_OFFICE),
    ("GET", "/inspectors/<inspector_id>"): console(*EVERYONE, other=SHARED),
    ("GET", "/inspectors/<inspector_id>/edit"): console(ADMIN, BACK_OFFICE, other=SHARED),
    ("POST", "/inspectors/<inspector_id>/edit"): console(ADMIN, BACK_OFFICE, other=SHARED),
    ("GET", "/inspectors/<inspector_id>/photo"): console(*EVERYONE),
    ("POST", "/inspectors/<inspector_id>/photo"): console(ADMIN, BACK_OFFICE, other=SHARED),
    ("GET", "/conflicts"): console(*EVERYONE),
    # An inspector declares their own conflicts of interest (Art. 17): lead1 for lead1, with a
    # business of department A's scope alone; another department's head or inspector may not.
    ("POST", "/conflicts"): console(
        ADMIN,
        DEPT_HEAD,
        BACK_OFFICE,
        INSPECTOR,
        form={"inspector_id": "{lead_inspector_id}", "subject_uscc": "{own_uscc}", "kind": "other"},
        other={DEPT_HEAD: 403, BACK_OFFICE: SHARED, INSPECTOR: 403},
    ),
    ("POST", "/conflicts/<conflict_id>/end"): console(
        ADMIN, DEPT_HEAD, BACK_OFFICE, other=HEAD_ONLY_OWN
    ),
    ("GET", "/imports"): console(ADMIN, BACK_OFFICE),
    ("POST", "/imports"): console(ADMIN, BACK_OFFICE),
    ("GET", "/imports/result/<token>"): console(ADMIN, BACK_OFFICE),
    ("GET", "/imports/template/<kind>.xlsx"): console(ADMIN, BACK_OFFICE),
    ("GET", "/api/v1/directory/inspectors"): signed_in(),
    ("GET", "/api/v1/directory/subjects"): signed_in(),
    ("GET", "/api/v1/directory/subjects/<uscc>"): signed_in(other=SHARED),
    # ---- annual plans: public once filed; only the department's head (or admin) writes -------
    ("GET", "/plans"): console(*EVERYONE),
    ("GET", "/plans/new"): console(ADMIN, DEPT_HEAD),
    ("POST", "/plans/new"): console(ADMIN, DEPT_HEAD),
    ("GET", "/plans/<plan_id>"): console(*EVERYONE, other=SHARED),
    ("GET", "/plans/<plan_id>/export.xlsx"): console(*EVERYONE, other=SHARED),
    ("GET", "/plans/<plan_id>/progress"): console(*EVERYONE, other=SHARED),
    ("GET", "/plans/<plan_id>/progress.xlsx"): console(*EVERYONE, other=SHARED),
    ("GET", "/plans/<plan_id>/versions/<int:number>"): console(*EVERYONE, other=SHARED),
    ("POST", "/plans/<plan_id>/adjust"): console(ADMIN, DEPT_HEAD, other=403),
    ("POST", "/plans/<plan_id>/file"): console(ADMIN, DEPT_HEAD, other=403),
    ("GET", "/plans/<plan_id>/lines/<line_id>"): console(ADMIN, DEPT_HEAD, other=403),
    ("POST", "/plans/<plan_id>/lines/<line_id>"): console(ADMIN, DEPT_HEAD, other=403),
    ("POST", "/plans/<plan_id>/lines/add-missing"): console(ADMIN, DEPT_HEAD, other=403),
    ("POST", "/plans/<plan_id>/overrides"): console(ADMIN, DEPT_HEAD, other=403),
    ("POST", "/plans/<plan_id>/publish"): console(ADMIN, DEPT_HEAD, other=403),
    # ---- checklists: read by all; a head keeps their department's, the back office all -------
    ("GET", "/checklists"): console(*EVERYONE),
    ("GET", "/checklists/new"): console(ADMIN, DEPT_HEAD, BACK_OFFICE),
    ("POST", "/checklists/new"): console(ADMIN, DEPT_HEAD, BACK_OFFICE),
    ("GET", "/checklists/<template_id>"): console(*EVERYONE, other=SHARED),
    ("POST", "/checklists/<template_id>/edit"): console(
        ADMIN, DEPT_HEAD, BACK_OFFICE, form=CHECKLIST, other=HEAD_ONLY_OWN
    ),
    ("POST", "/checklists/<template_id>/questions"): console(
        ADMIN, DEPT_HEAD, BACK_OFFICE, form=QUESTION, other=HEAD_ONLY_OWN
    ),
    ("POST", "/checklists/<template_id>/questions/move"): console(
        ADMIN,
        DEPT_HEAD,
        BACK_OFFICE,
        form={"position": "0", "direction": "down"},
        other=HEAD_ONLY_OWN,
    ),
    ("POST", "/checklists/<template_id>/questions/remove"): console(
        ADMIN, DEPT_HEAD, BACK_OFFICE, form={"position": "0"}, other=HEAD_ONLY_OWN
    ),
    ("POST", "/checklists/<template_id>/questions/update"): console(
        ADMIN, DEPT_HEAD, BACK_OFFICE, form=QUESTION, other=HEAD_ONLY_OWN
    ),
    # ---- tasks ------------------------------------------------------------------------------
    ("GET", "/tasks"): console(*EVERYONE),
    ("GET", "/tasks/export.xlsx"): console(*EVERYONE),
    ("GET", "/tasks/new"): console(ADMIN, DEPT_HEAD, BACK_OFFICE),
    ("POST", "/tasks/new"): console(ADMIN, DEPT_HEAD, BACK_OFFICE),
    # Tasks are numbered public documents of the bureau; every role reads every task.
    ("GET", "/tasks/<task_id>"): console(*EVERYONE, other=SHARED),
    ("GET", "/api/v1/tasks"): signed_in(),
    ("GET", "/api/v1/tasks/<task_id>"): signed_in(other=SHARED),
    # The owner (head1) or the admin edits a draft; office2 is not its owner.
    ("GET", "/tasks/<task_id>/edit"): console(ADMIN, DEPT_HEAD, ids=DRAFT, other=403),
    ("POST", "/tasks/<task_id>/edit"): console(ADMIN, DEPT_HEAD, ids=DRAFT, other=403),
    ("POST", "/tasks/<task_id>/delete"): console(ADMIN, DEPT_HEAD, BACK_OFFICE),
    ("POST", "/tasks/<task_id>/<any(submit, approve, return, cancel):action>"): console(
        *EVERYONE,
        actions={
            # The owner (head1) or the admin submits.
            "submit": console(ADMIN, DEPT_HEAD, ids=DRAFT, other=403),
            # The demo has no submitted task of department A: every role meets the state
            # (409) first, so these two prove only the role gate.
            "approve": console(*EVERYONE),
            "return": console(*EVERYONE),
            # The department's head or the admin calls a task off, saying why.
            "cancel": console(ADMIN, DEPT_HEAD, ids=DRAFT, form={"comment": "授权矩阵"}, other=403),
        },
    ),
    ("POST", "/tasks/<task_id>/commissions"): console(
        ADMIN,
        DEPT_HEAD,
        ids=DRAFT,
        form={"agency": "授权矩阵检测中心", "scope": "testing"},
        other=403,
    ),
    ("POST", "/tasks/<task_id>/commissions/<commission_id>/delete"): console(
        ADMIN, DEPT_HEAD, ids=DRAFT, other=403
    ),
    # ---- draws ------------------------------------------------------------------------------
    ("GET", "/tasks/<task_id>/draw"): console(ADMIN, DEPT_HEAD, LEADER, BACK_OFFICE, other=403),
    ("GET", "/tasks/<task_id>/draw/internal-bundle.json"): console(
        ADMIN, DEPT_HEAD, LEADER, other=403
    ),
    ("POST", "/tasks/<task_id>/draw/run"): console(ADMIN, DEPT_HEAD, BACK_OFFICE, other=403),
    ("POST", "/tasks/<task_id>/draw/announce"): console(ADMIN, DEPT_HEAD, BACK_OFFICE, other=403),
    ("POST", "/tasks/<task_id>/draw/issue"): console(ADMIN, DEPT_HEAD, BACK_OFFICE, other=403),
    # The team lead is designated by the department head (Art. 16), a human decision.
    ("POST", "/tasks/<task_id>/draw/lead"): console(DEPT_HEAD, other=403),
    ("POST", "/tasks/<task_id>/draw/alternates"): console(DEPT_HEAD, BACK_OFFICE, other=403),
    ("GET", "/tasks/<task_id>/draw/replacements"): console(*EVERYONE, other=403),
    ("POST", "/tasks/<task_id>/draw/replacements"): console(
        DEPT_HEAD, BACK_OFFICE, INSPECTOR, other=403
    ),
    ("GET", "/replacements"): console(*EVERYONE),
    ("GET", "/replacements/queue"): console(DEPT_HEAD, LEADER),
    # Replacements of drawn inspectors need the leader's approval (Art. 18).
    ("POST", "/replacements/<request_id>/approve"): console(LEADER),
    ("POST", "/replacements/<request_id>/refuse"): console(LEADER),
    ("POST", "/alternates/<use_id>/approve"): console(DEPT_HEAD),
    ("POST", "/alternates/<use_id>/refuse"): console(DEPT_HEAD),
    # ---- visits -----------------------------------------------------------------------------
    ("GET", "/visits"): console(*EVERYONE),
    ("GET", "/visits/export.xlsx"): console(*EVERYONE),
    ("GET", "/my/visits"): console(INSPECTOR),
    ("GET", "/visits/<visit_id>"): console(*EVERYONE, other=403),
    ("GET", "/visits/<visit_id>/notice.pdf"): console(*EVERYONE, other=403),
    ("GET", "/api/v1/visits"): signed_in(),
    ("GET", "/api/v1/visits/<visit_id>"): signed_in(other=403),
    ("GET", "/visits/<visit_id>/records/<record_id>/record.pdf"): console(*EVERYONE, other=403),
    ("GET", "/visits/<visit_id>/records/<record_id>/review"): console(*EVERYONE, other=403),
    # The department's head or back office, or the section's team lead (lead1), reviews.
    ("POST", "/visits/<visit_id>/records/<record_id>/approve"): console(
        DEPT_HEAD, BACK_OFFICE, INSPECTOR, other=403
    ),
    ("POST", "/visits/<visit_id>/records/<record_id>/send-back"): console(
        DEPT_HEAD, BACK_OFFICE, INSPECTOR, other=403
    ),
    ("POST", "/visits/<visit_id>/records/<record_id>/return"): console(
        DEPT_HEAD, BACK_OFFICE, INSPECTOR, other=403
    ),
    ("GET", "/media/<media_id>/<variant>"): console(*EVERYONE, other=403),
    ("GET", "/visits/merges"): console(ADMIN, DEPT_HEAD, LEADER),
    # The demo's proposals involve both departments that have heads: no third party to try.
    ("POST", "/visits/merges/<proposal_id>/confirm"): console(DEPT_HEAD),
    ("POST", "/visits/merges/<proposal_id>/decline"): console(DEPT_HEAD),
    # ---- results: the back office of the task's department enters, its head reviews ---------
    ("GET", "/results"): console(*RESULT_READERS),
    ("GET", "/results/deadlines"): console(*RESULT_READERS),
    ("GET", "/results/tasks/<task_id>"): console(*RESULT_READERS, other=404),
    ("GET", "/results/tasks/<task_id>/export.xlsx"): console(*RESULT_READERS, other=404),
    ("GET", "/results/visits/<visit_id>"): console(*RESULT_READERS, other=404),
    ("POST", "/results/visits/<visit_id>/tasks/<task_id>"): console(BACK_OFFICE, other=404),
    ("POST", "/results/tasks/<task_id>/<any(start, complete):action>"): console(
        *RESULT_READERS,
        actions={
            "start": console(DEPT_HEAD, BACK_OFFICE, other=404),
            "complete": console(DEPT_HEAD, other=404),
        },
    ),
    ("POST", "/results/sheets/<sheet_id>/<any(submit, approve, return, correct):action>"): console(
        *RESULT_READERS,
        actions={
            "submit": console(BACK_OFFICE, other=404),
            "approve": console(DEPT_HEAD, other=404),
            "return": console(DEPT_HEAD, other=404),
            "correct": console(BACK_OFFICE, form={"reason": "授权矩阵"}, other=404),
        },
    ),
    ("POST", "/results/tasks/<task_id>/publish"): console(BACK_OFFICE, other=404),
    ("GET", "/api/v1/results"): signed_in(),
    ("GET", "/api/v1/results/<sheet_id>"): signed_in(other=404),
    ("GET", "/publication/<publication_id>/export.<any(xlsx, json):kind>"): console(
        *RESULT_READERS, other=404
    ),
    ("GET", "/publication/jobs"): console(ADMIN, BACK_OFFICE),
    ("POST", "/publication/jobs/<job_id>/retry"): console(ADMIN, BACK_OFFICE, other=404),
    # ---- objections: the back office of the task's department handles them ------------------
    ("GET", "/objections"): console(*RESULT_READERS),
    ("GET", "/objections/new"): console(BACK_OFFICE),
    ("POST", "/objections/new"): console(BACK_OFFICE),
    ("GET", "/objections/<objection_id>"): console(*RESULT_READERS, other=404),
    ("GET", "/objections/<objection_id>/attachments/<int:position>"): console(
        *RESULT_READERS, other=404
    ),
    (
        "POST",
        "/objections/<objection_id>/"
        "<any(start, maintain, correct_result, close_corrected, reply):action>",
    ): console(
        BACK_OFFICE,
        other=404,
        actions={
            "correct_result": console(
                BACK_OFFICE, form={"sheet_id": "{disputed_sheet_id}", "text": "授权矩阵"}, other=404
            ),
        },
    ),
    ("GET", "/api/v1/objections"): signed_in(),
    # ---- follow-ups and transfers: the department that owns them -----------------------------
    ("GET", "/followups"): console(DEPT_HEAD, BACK_OFFICE),
    ("GET", "/followups/<followup_id>"): console(DEPT_HEAD, BACK_OFFICE, other=404),
    ("POST", "/followups/<followup_id>/<any(log, due, close):action>"): console(
        DEPT_HEAD, BACK_OFFICE, other=404
    ),
    ("POST", "/followups/<followup_id>/transfers"): console(DEPT_HEAD, BACK_OFFICE, other=404),
    ("GET", "/transfers/inbox"): console(DEPT_HEAD, BACK_OFFICE),
    ("GET", "/transfers/<transfer_id>"): console(DEPT_HEAD, BACK_OFFICE, other=404),
    ("POST", "/transfers/<transfer_id>/<any(send, receive, close):action>"): console(
        DEPT_HEAD, BACK_OFFICE, other=404
    ),
    ("POST", "/transfers/<transfer_id>/documents"): console(DEPT_HEAD, BACK_OFFICE, other=404),
    ("GET", "/transfers/<transfer_id>/documents/<document_id>"): console(
        DEPT_HEAD, BACK_OFFICE, other=404
    ),
    ("GET", "/transfers/<transfer_id>/letter.pdf"): console(DEPT_HEAD, BACK_OFFICE, other=404),
    # ---- the field app: a device token, and only the phone's own uploads --------------------
    ("GET", "/app/"): public(),
    ("GET", "/app/<path:path>"): public(),
    ("POST", "/api/v1/auth/device"): public(),
    ("GET", "/api/v1/auth/device"): device(),
    ("DELETE", "/api/v1/auth/device"): device(),
    ("GET", "/api/v1/credential/photo"): device(),
    ("GET", "/api/v1/sync/pull"): device(),
    ("POST", "/api/v1/sync/push"): device(),
    # tus discovery (OPTIONS) answers anyone, as the protocol says.
    ("OPTIONS", "/api/v1/uploads/"): public(),
    ("OPTIONS", "/api/v1/uploads/<upload_id>"): public(),
    ("POST", "/api/v1/uploads/"): device(),
    ("PATCH", "/api/v1/uploads/<upload_id>"): device(other=403),
    ("DELETE", "/api/v1/uploads/<upload_id>"): device(other=403),
    # ---- public pages and JSON: anyone -------------------------------------------------------
    ("GET", "/api/v1/openapi.json"): public(),
    ("GET", "/api/v1/public/credentials/<token>"): public(),
    ("GET", "/api/v1/public/draws"): public(),
    ("GET", "/api/v1/public/draws/<draw_id>/bundle"): public(),
    ("GET", "/api/v1/public/items"): public(),
    ("GET", "/api/v1/public/items/<code>"): public(),
    ("GET", "/api/v1/public/objections/<reference>"): public(query="uscc={uscc}"),
    ("GET", "/api/v1/public/plans"): public(),
    ("GET", "/api/v1/public/results"): public(),
    ("GET", "/api/v1/public/results/<task_id>"): public(),
    ("GET", "/c/<token>"): public(),
    ("GET", "/c/<token>/photo"): public(),
    ("GET", "/public/draws"): public(),
    ("GET", "/public/draws/<draw_id>"): public(),
    ("GET", "/public/draws/tools/<name>"): public(),
    ("GET", "/public/items"): public(),
    ("GET", "/public/items.xlsx"): public(),
    ("GET", "/public/items/<code>"): public(),
    ("GET", "/public/objections/new"): public(),
    ("POST", "/public/objections/new"): public(),
    ("GET", "/public/objections/status"): public(),
    ("POST", "/public/objections/status"): public(),
    ("GET", "/public/plans"): public(),
    ("GET", "/public/plans/<plan_id>"): public(),
    ("GET", "/public/results"): public(),
    ("GET", "/public/results/subjects/<uscc>"): public(),
    ("GET", "/public/results/tasks/<task_id>"): public(),
}
