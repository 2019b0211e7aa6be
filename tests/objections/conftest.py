"""A published task (tests/results' bench brought to publication through the real operations:
records pushed by phones and approved, results entered and approved, the task completed and
published by server/publication) and helpers to file and handle objections.

Run: .venv/bin/pytest -n0 -q tests/objections   (add DATABASE_URL=postgresql+psycopg://… for PG)
"""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image

from server.auth.operations import actor_for
from server.objections import operations
from server.publication import operations as publication_ops
from server.results import operations as result_ops
from server.uploads.views import storage
from tests.results.conftest import bench as bench  # noqa: F401 - fixtures of that folder
from tests.syncapi.conftest import drawn_task as drawn_task  # noqa: F401
from tests.syncapi.conftest import scene as scene  # noqa: F401


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@dataclasses.dataclass
class Desk:
    db: object
    bench: object
    publication: object

    @property
    def side(self):
        return self.bench.scene.a

    @property
    def task(self):
        return self.bench.task

    def usccs(self) -> list[str]:
        return sorted(s.uscc for s in self.publication.subjects)

    def file(self, uscc=None, files=(), **overrides):
        data = {
            "publication": self.publication,
            "uscc": uscc or self.usccs()[0],
            "applicant_name": "某某有限公司",
            "contact": "13912345678",
            "grounds": "检查结果有误",
            "files": [operations.Upload(name, body) for name, body in files],
            "max_files": 3,
            "max_bytes": 1024 * 1024,
        }
        data.update(overrides)
        objection = operations.file(
            self.db.session, storage(), actor=operations.audit.PUBLIC, **data
        )
        self.db.session.commit()
        return objection

    def do(self, name, objection, user=None, **kwargs):
        user = user or self.side.office
        result = getattr(operations, name)(
            self.db.session, actor=actor_for(user), user=user, objection=objection, **kwargs
        )
        self.db.session.commit()
        return result


@pytest.fixture
def desk(db, bench) -> Desk:  # noqa: F811 - the fixtures imported above
    """Every section's result approved, the task completed and published (version 1)."""
    for visit_id in bench.visit_ids():
        bench.approved_result(visit_id)
    head, office = bench.scene.a.head, bench.scene.a.office
    result_ops.complete_task(db.session, actor=actor_for(head), user=head, task=bench.task)
    db.session.commit()
    publication = publication_ops.publish(
        db.session, actor=actor_for(office), user=office, task=bench.task
    )
    db.session.commit()
    return Desk(db=db, bench=bench, publication=publication)
