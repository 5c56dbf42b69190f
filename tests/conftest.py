"""The suite's order: the long files first, so the workers of `make test` finish together."""

from __future__ import annotations

import pytest


def _weight(item: pytest.Item) -> int:
    """0 for a file that trains or evaluates a model, 1 for an e2e file, 2 for the rest."""
    if item.get_closest_marker("slow"):
        return 0
    return 1 if item.get_closest_marker("e2e") else 2


@pytest.hookimpl(trylast=True)  # after tests/e2e/conftest.py has marked its tests e2e
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move whole files, heaviest first; the order inside a file is left as written."""
    by_file: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_file.setdefault(str(item.path), []).append(item)
    files = sorted(by_file.values(), key=lambda group: min(_weight(i) for i in group))
    items[:] = [item for group in files for item in group]
