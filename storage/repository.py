"""The gateway's and the staff side's only way to our data. Each method is one transaction.

`Repository` is built from its parts, each a mixin over `RepositoryBase` (storage/repo_base.py:
the database, the pseudonym secret, transactions). Add a method beside the part it belongs to:

| module | part |
| --- | --- |
| `storage/patients.py` | patients' records and the start of a patient's turn |
| `storage/transcript.py` | transcript messages, deliveries, relays, edits |
| `storage/cases.py` | cases: open, claim, release, close, rate, the queue |
| `storage/staff_members.py` | staff members' records |
| `storage/audit.py` | the audit log |
| `storage/consent.py` | consent records: append, history, in force, withdraw |
| `storage/rights.py` | the patient's rights: export and erase (storage/privacy.py) |
"""

from __future__ import annotations

from storage.audit import AuditMethods
from storage.cases import CaseMethods
from storage.consent import ConsentMethods
from storage.patients import PatientMethods
from storage.refs import (
    CaseRef,
    ClaimResult,
    ErasureReport,
    IncomingRecord,
    MessageRef,
    PatientRef,
    PatientTurn,
    StaffRef,
)
from storage.rights import RightsMethods
from storage.staff_members import StaffMethods
from storage.transcript import TranscriptMethods

__all__ = [
    "CaseRef",
    "ClaimResult",
    "ErasureReport",
    "IncomingRecord",
    "MessageRef",
    "PatientRef",
    "PatientTurn",
    "Repository",
    "StaffRef",
]


class Repository(
    PatientMethods,
    TranscriptMethods,
    CaseMethods,
    StaffMethods,
    AuditMethods,
    RightsMethods,
    ConsentMethods,
):
    """Our data's one API: `Repository(db, pseudonym_secret)`; see the table above."""
