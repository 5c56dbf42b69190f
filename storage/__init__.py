"""Our data: patients, cases, transcript, consent records, staff and the audit log.

The gateway is the only writer; it reaches the database through `Repository`.
"""

from storage.db import Database, normalise_url, sync_url
from storage.errors import CaseStateError, UnknownPatientError
from storage.migrate import downgrade, migrate
from storage.refs import (
    CaseRef,
    ClaimResult,
    ConsentRef,
    ErasureReport,
    MessageRef,
    PatientRef,
    StaffRef,
)
from storage.repository import Repository

__all__ = [
    "CaseRef",
    "CaseStateError",
    "ClaimResult",
    "ConsentRef",
    "Database",
    "ErasureReport",
    "MessageRef",
    "PatientRef",
    "Repository",
    "StaffRef",
    "UnknownPatientError",
    "downgrade",
    "migrate",
    "normalise_url",
    "sync_url",
]
