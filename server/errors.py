"""The one shape of a refused write, shared by every domain's operations.

`msgid` is Chinese (so `str(error)` reads well in a CLI and a log); `translated()` gives it in the
page's language; `field` names the form field at fault (None: the whole form); `status` is what
a view answers: 422 bad input, 403 not yours, 409 wrong state, 502 an outside service failed.
"""

from __future__ import annotations

from flask_babel import gettext


class OperationError(Exception):
    status = 422

    def __init__(self, msgid: str, field: str | None = None, status: int | None = None, **params):
        self.msgid, self.field, self.params = msgid, field, params
        if status is not None:
            self.status = status
        super().__init__(msgid % params if params else msgid)

    def translated(self) -> str:
        return gettext(self.msgid, **self.params)
