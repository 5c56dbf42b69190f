"""Errors the repository raises for requests that do not fit the stored state."""


class StorageError(Exception):
    """Base class of the storage package's own errors."""


class UnknownPatientError(StorageError, LookupError):
    """No patient with that id is stored (never seen, or erased)."""


class CaseStateError(StorageError):
    """The case is not in a state that allows the requested transition."""


class AppendOnlyError(StorageError):
    """Something tried to change or remove a consent record."""


class UnknownCaseError(StorageError, LookupError):
    """No case with that id is stored."""
