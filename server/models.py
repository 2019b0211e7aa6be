"""Import every domain's models so SQLAlchemy's metadata (and Alembic) sees the whole schema."""

from server.audit.models import AuditEvent  # noqa: F401
from server.auth.models import Department, Device, User, UserRole  # noqa: F401
from server.calendar.models import CalendarOverride  # noqa: F401
from server.codes.models import Code  # noqa: F401
from server.credentials.models import CredentialScan  # noqa: F401
from server.directory.models import (  # noqa: F401
    Conflict,
    Inspector,
    InspectorExpertise,
    Region,
    Subject,
    SubjectRiskFlag,
    SubjectScope,
    SubjectTag,
)
from server.draws.models import Draw, DrawAssignment, DrawSelection  # noqa: F401
from server.draws.replacement_models import AlternateUse, ReplacementRequest  # noqa: F401
from server.followups import models as _followups  # noqa: F401
from server.items.models import Item, ItemVersion  # noqa: F401
from server.jobs.models import BackgroundJob  # noqa: F401
from server.objections import models as _objections  # noqa: F401
from server.plans.models import AnnualPlan, PlanLine, PlanOverride, PlanVersion  # noqa: F401
from server.publication.models import Publication, PublicationJob, PublishedSubject  # noqa: F401
from server.results.models import ResultLine, ResultSheet, TaskCompletion  # noqa: F401
from server.tasks.models import (  # noqa: F401
    ChecklistQuestion,
    ChecklistTemplate,
    Commission,
    Task,
    TaskEvent,
    TaskItem,
    TaskNumberCounter,
)
from server.visits.models import MergeDecision, MergeProposal, Visit, VisitTask  # noqa: F401
from server.visits.record_models import MutationResult, VisitEvent, VisitRecord  # noqa: F401
from server.visits.review_models import ReviewComment  # noqa: F401
from sync.feed_models import SyncChange, SyncCounter  # noqa: F401 - also installs the change log
from sync.models import Media, Upload  # noqa: F401
