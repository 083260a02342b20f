"""Every model, imported in one place so the metadata is complete for migrations and tests."""

from secretariat.agenda.models import (
    ActionPoint,
    AgendaItem,
    AgendaRevision,
    AgendaVersion,
    CalendarFeed,
    ItemOutcome,
    ItemProposal,
    Meeting,
    Minutes,
)
from secretariat.archive.models import Blob, Record, RecordFile, RecordVersion, SearchChange, SearchIndexState
from secretariat.audit.models import AuditEntry, AuditHead
from secretariat.auth.models import (
    LoginAttempt,
    Partner,
    PasswordToken,
    RecoveryCode,
    SiteSetting,
    TrustedDevice,
    User,
    UserSession,
)
from secretariat.notify.models import Notification, NotificationPreference
from secretariat.programme.models import (
    Comment,
    Initiative,
    Milestone,
    ProgressReport,
    SilencePosition,
    SilenceProcedure,
    StatusChange,
    WorkProgramme,
)

__all__ = [
    "Notification",
    "NotificationPreference",
    "Blob",
    "Record",
    "RecordFile",
    "RecordVersion",
    "SearchChange",
    "SearchIndexState",
    "Comment",
    "Initiative",
    "Milestone",
    "ProgressReport",
    "SilencePosition",
    "SilenceProcedure",
    "StatusChange",
    "WorkProgramme",
    "ActionPoint",
    "AgendaItem",
    "AgendaRevision",
    "AgendaVersion",
    "CalendarFeed",
    "ItemOutcome",
    "ItemProposal",
    "Minutes",
    "AuditEntry",
    "AuditHead",
    "LoginAttempt",
    "Meeting",
    "Partner",
    "PasswordToken",
    "RecoveryCode",
    "SiteSetting",
    "TrustedDevice",
    "User",
    "UserSession",
]
