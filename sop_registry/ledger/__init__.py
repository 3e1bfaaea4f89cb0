"""The SOP ledger: step runs (evidence of what an agent did) and cases (human follow-up with SLA clocks)."""

from .db import connect, current_revision, head_revision, upgrade
from .models import (
    OPEN_CASE_STATES,
    Base,
    Case,
    CaseDeadline,
    CaseEvent,
    CheckState,
    Finding,
    MaintenanceWindow,
    Notification,
    NotificationAttempt,
    Sample,
    StepRun,
)

__all__ = [
    "OPEN_CASE_STATES",
    "Base",
    "Case",
    "CaseDeadline",
    "CaseEvent",
    "CheckState",
    "Finding",
    "MaintenanceWindow",
    "Notification",
    "NotificationAttempt",
    "Sample",
    "StepRun",
    "connect",
    "current_revision",
    "head_revision",
    "upgrade",
]
